// The Go-template subset of `tsnet inspect -f` / `network inspect -f` / `network ls --format`
// (src/cli/go-template.ts), checked against what Go's text/template prints for the same data, and
// Docker's duration words (src/control/human-duration.ts) used by `ps`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderTemplate } from '../../src/cli/go-template.js';
import { humanDuration } from '../../src/control/human-duration.js';

const container = {
  Name: 'rose',
  State: { Status: 'running', Running: true, Pid: 42, ExitCode: 0 },
  Config: { Cmd: ['sleep', 'infinity'] },
  NetworkSettings: {
    Ports: {},
    Networks: {
      frontend: { IPAddress: '172.17.0.2', IPPrefixLen: 16 },
      backend: { IPAddress: '172.18.0.2', IPPrefixLen: 16 },
    },
  },
};

test('fields, literals text around them, json indented, missing fields as <no value>', () => {
  assert.is(renderTemplate('{{.Name}}', container), 'rose');
  assert.is(renderTemplate('{{ .State.Pid }} {{.State.Running}}', container), '42 true');
  assert.is(renderTemplate('{{.NetworkSettings.Networks.frontend.IPAddress}}', container), '172.17.0.2');
  assert.is(renderTemplate('{{json .Config.Cmd}}', container), '[\n  "sleep",\n  "infinity"\n]');
  assert.is(renderTemplate('{{ json .NetworkSettings.Ports }}', container), '{}');
  assert.is(renderTemplate('{{.Nope}} {{.State.Nope.Deeper}}', container), '<no value> <no value>');
  assert.is(renderTemplate('no actions', container), 'no actions');
  assert.is(renderTemplate('{{.Config.Cmd}}', container), '["sleep","infinity"]', 'arrays print as JSON, not Go\'s [a b]');
});

test('range over maps (sorted keys, as Go) and arrays, with variables; if/else, with, functions', () => {
  assert.is(renderTemplate('{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}', container), '172.18.0.2 172.17.0.2 ');
  assert.is(renderTemplate('{{range $name, $net := .NetworkSettings.Networks}}{{$name}}={{$net.IPAddress}};{{end}}', container), 'backend=172.18.0.2;frontend=172.17.0.2;');
  assert.is(renderTemplate('{{range $i, $a := .Config.Cmd}}{{$i}}:{{$a}} {{end}}', container), '0:sleep 1:infinity ');
  assert.is(renderTemplate('{{range .NetworkSettings.Ports}}x{{else}}none{{end}}', container), 'none');
  assert.is(renderTemplate('{{if .State.Running}}up {{$.Name}}{{else}}down{{end}}', container), 'up rose');
  assert.is(renderTemplate('{{if .State.ExitCode}}failed{{else}}ok{{end}}', container), 'ok');
  assert.is(renderTemplate('{{with .NetworkSettings.Networks.frontend}}{{.IPAddress}}/{{.IPPrefixLen}}{{end}}', container), '172.17.0.2/16');
  assert.is(renderTemplate('{{index .NetworkSettings.Networks "backend"}}', container), '{"IPAddress":"172.18.0.2","IPPrefixLen":16}');
  assert.is(renderTemplate('{{index .NetworkSettings.Networks "backend" "IPAddress"}}', container), '172.18.0.2');
  assert.is(renderTemplate('{{(index .NetworkSettings.Networks "backend").IPAddress}}', container), '172.18.0.2', "Docker's docs' idiom");
  assert.is(renderTemplate('{{index .Config.Cmd 1}} {{len .Config.Cmd}} {{len .NetworkSettings.Networks}}', container), 'infinity 2 2');
  assert.is(renderTemplate('{{join .Config.Cmd " "}} {{upper .Name}} {{printf "%s-%d" .Name .State.Pid}}', container), 'sleep infinity ROSE rose-42');
  assert.is(renderTemplate('{{if eq .State.Status "running" "restarting"}}live{{end}} {{if not .State.ExitCode}}zero{{end}}', container), 'live zero');
  assert.is(renderTemplate('{{if and .State.Running (eq .Name "rose")}}both{{end}}', container), 'both');
  assert.is(renderTemplate('a {{- .Name -}} b', container), 'aroseb', '{{- and -}} trim spaces');
});

test('templates it cannot read are one EBAD_FORMAT sentence', () => {
  for (const bad of ['{{range .X}}', '{{end}}', '{{else}}', '{{bad', '{{}}', '{{.A b}}', '{{(index .A}}', '{{(index .A).}}', '{{nosuchfn .A}}', 'text {{.A', '{{"abc}}', '{{`abc}}', '{{"\\q"}}', '{{range $a, $b, $c := .X}}{{end}}', '{{.a-b}}']) {
    try {
      renderTemplate(bad, container);
      assert.unreachable(`${bad} was accepted`);
    } catch (err) {
      const e = err as Error & { code?: string };
      assert.is(e.code, 'EBAD_FORMAT', `${bad}: ${e.message}`);
      assert.match(e.message, /^cannot use the --format template ".*": [^\n]+\.$/, bad);
    }
  }
});

test("ps's duration words follow Docker's", () => {
  const s = 1000;
  const cases: Array<[number, string]> = [
    [0, 'Less than a second'], [999, 'Less than a second'], [1 * s, '1 second'], [59 * s, '59 seconds'],
    [60 * s, 'About a minute'], [119 * s, 'About a minute'], [120 * s, '2 minutes'], [59 * 60 * s, '59 minutes'],
    [60 * 60 * s, 'About an hour'], [90 * 60 * s, '2 hours'], [47 * 3600 * s, '47 hours'], [48 * 3600 * s, '2 days'],
    [13 * 86400 * s, '13 days'], [14 * 86400 * s, '2 weeks'], [60 * 86400 * s, '2 months'], [800 * 86400 * s, '2 years'], [-5 * s, 'Less than a second'],
  ];
  for (const [ms, words] of cases) assert.is(humanDuration(ms), words, `${ms} ms`);
});

test.run();
