// All bench paths in the order the rounds visit them (A B C D A B C D ...).
import { kernelPath } from './kernel.js';
import type { BenchPath, PathId } from './path.js';
import { tincPath, tincPlainPath } from './tinc.js';
import { tsnetPath, tsnetPollPath } from './tsnet.js';
import { tsnetDaemonPath, tsnetDaemonSealedPath } from './tsnet-daemon.js';
import { vethPath } from './veth.js';

export const ALL_PATHS: readonly BenchPath[] = [vethPath, kernelPath, tincPath, tincPlainPath, tsnetPath, tsnetPollPath, tsnetDaemonPath, tsnetDaemonSealedPath];
export const PATH_IDS: readonly PathId[] = ALL_PATHS.map((p) => p.id);
export type { BenchPath, PathHandle, PathId, SwitchProcess } from './path.js';
