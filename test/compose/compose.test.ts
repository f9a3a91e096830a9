// Static checks of docker-compose.yml, Dockerfile and .dockerignore: no Docker engine runs here, so
// the compose file is validated against the Compose Specification JSON schema (the copy shipped in
// the `dclint` npm package) and every path it builds from or mounts is checked to exist and agree.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const composePath = path.join(root, 'docker-compose.yml');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

function isObj(v: Json | undefined): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function obj(v: Json | undefined, what: string): Obj {
  if (!isObj(v)) throw new Error(`${what} is not a mapping`);
  return v;
}
function str(v: Json | undefined, what: string): string {
  if (typeof v !== 'string') throw new Error(`${what} is not a string`);
  return v;
}

/** The official schema (compose-spec/compose-spec `schema/compose-spec.json`) as vendored by dclint. */
function loadComposeSchema(): Obj {
  const require = createRequire(import.meta.url);
  const pkgDir = path.dirname(require.resolve('dclint/package.json'));
  const schema = JSON.parse(fs.readFileSync(path.join(pkgDir, 'schemas/compose.schema.json'), 'utf8')) as Obj;
  // `$schema` names draft-07 by an https URL Ajv does not register; Ajv's default class is draft-07.
  delete schema.$schema;
  return schema;
}

function compileValidator(): (data: unknown) => { ok: boolean; errors: ErrorObject[] } {
  // strictTypes is off because the upstream schema puts additionalProperties in oneOf branches
  // without a sibling `type`; every other strict check (unknown keywords, formats) stays on.
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, allowUnionTypes: true });
  const validate = ajv.compile(loadComposeSchema());
  return (data) => {
    const ok = validate(data);
    return { ok, errors: ok ? [] : [...(validate.errors ?? [])] };
  };
}

function loadCompose(): Obj {
  return obj(parseYaml(fs.readFileSync(composePath, 'utf8')) as Json, 'docker-compose.yml');
}

interface Mount {
  service: string;
  type: 'bind' | 'volume';
  source: string;
  target: string;
}

/** Mounts of every service, short (`src:dst[:mode]`) and long syntax. */
function mounts(compose: Obj): Mount[] {
  const out: Mount[] = [];
  for (const [service, def] of Object.entries(obj(compose.services, 'services'))) {
    const volumes = obj(def, service).volumes;
    if (volumes === undefined) continue;
    if (!Array.isArray(volumes)) throw new Error(`${service}.volumes is not a list`);
    for (const v of volumes) {
      if (typeof v === 'string') {
        const [source = '', target = ''] = v.split(':');
        const bind = source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
        out.push({ service, type: bind ? 'bind' : 'volume', source, target });
      } else {
        const m = obj(v, `${service}.volumes[]`);
        const type = str(m.type, 'volume type');
        if (type !== 'bind' && type !== 'volume') throw new Error(`unexpected mount type ${type}`);
        out.push({ service, type, source: str(m.source, 'volume source'), target: str(m.target, 'volume target') });
      }
    }
  }
  return out;
}

describe('docker-compose.yml', () => {
  const validate = compileValidator();
  const compose = loadCompose();
  const services = obj(compose.services, 'services');

  it('uses the Compose Specification schema', () => {
    const schema = loadComposeSchema();
    expect(schema.title).toBe('Compose Specification');
    expect(schema.$id).toBe('compose_spec.json');
  });

  it('is valid against the Compose Specification', () => {
    const { ok, errors } = validate(compose);
    expect(errors.map((e) => `${e.instancePath} ${e.message ?? ''}`)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('is refused by the schema when broken (the validation can fail)', () => {
    const broken: Array<[string, (c: Obj) => void]> = [
      ['misspelled service key', (c) => { obj(obj(c.services, 's').beaconry, 'b').imagee = 'x'; }],
      ['unknown top-level key', (c) => { c.servics = {}; }],
      ['unknown healthcheck key', (c) => { obj(obj(obj(c.services, 's').beaconry, 'b').healthcheck, 'h').intervall = '5s'; }],
      ['ports not a list', (c) => { obj(obj(c.services, 's').beaconry, 'b').ports = { http: 8080 }; }],
      ['bad depends_on condition', (c) => { obj(obj(obj(obj(c.services, 's').grafana, 'g').depends_on, 'd').prometheus, 'p').condition = 'whenever'; }],
    ];
    for (const [what, mutate] of broken) {
      const copy = structuredClone(compose);
      mutate(copy);
      expect(validate(copy).ok, what).toBe(false);
    }
  });

  it('has the three services', () => {
    expect(Object.keys(services).sort()).toEqual(['beaconry', 'grafana', 'prometheus']);
  });

  it('builds Beaconry from a Dockerfile that exists', () => {
    const build = obj(obj(services.beaconry, 'beaconry').build, 'beaconry.build');
    const context = path.resolve(root, str(build.context, 'build.context'));
    expect(fs.statSync(context).isDirectory()).toBe(true);
    expect(fs.statSync(path.join(context, str(build.dockerfile ?? 'Dockerfile', 'build.dockerfile'))).isFile()).toBe(true);
  });

  it('mounts only files and directories that exist, and named volumes that are declared', () => {
    const declared = Object.keys(obj(compose.volumes ?? {}, 'volumes'));
    const all = mounts(compose);
    expect(all.length).toBeGreaterThan(0);
    for (const m of all) {
      if (m.type === 'bind') {
        expect(fs.existsSync(path.resolve(root, m.source)), `${m.service}: ${m.source}`).toBe(true);
      } else {
        expect(declared, `${m.service}: volume ${m.source}`).toContain(m.source);
      }
    }
  });

  it('pins every image tag', () => {
    for (const [name, def] of Object.entries(services)) {
      const image = obj(def, name).image;
      if (image === undefined) continue;
      expect(str(image, 'image'), name).toMatch(/:[\w][\w.-]*$/);
      expect(str(image, 'image'), name).not.toMatch(/:latest$/);
    }
  });

  it('runs Beaconry on 0.0.0.0:8080 with its data on a volume and a /healthz healthcheck', () => {
    const b = obj(services.beaconry, 'beaconry');
    const env = obj(b.environment, 'beaconry.environment');
    expect(env.BEACONRY_HOST).toBe('0.0.0.0');
    expect(String(env.BEACONRY_PORT)).toBe('8080');
    expect(b.ports).toContain('8080:8080');
    const dataDir = str(env.BEACONRY_DATA_DIR, 'BEACONRY_DATA_DIR');
    expect(mounts(compose).some((m) => m.service === 'beaconry' && m.target === dataDir)).toBe(true);
    const test = obj(b.healthcheck, 'healthcheck').test;
    expect(JSON.stringify(test)).toContain('http://127.0.0.1:8080/healthz');
  });

  it('gives Prometheus the config and the rule files the config names, and a target that is the Beaconry service', () => {
    const p = obj(services.prometheus, 'prometheus');
    const command = (p.command as Json[]).map((c) => str(c, 'command'));
    const configFlag = command.find((c) => c.startsWith('--config.file='));
    const configTarget = (configFlag ?? '').slice('--config.file='.length);
    const pm = mounts(compose).filter((m) => m.service === 'prometheus');
    const configMount = pm.find((m) => m.target === configTarget);
    expect(configMount?.source).toBe('./grafana/prometheus.yml');

    const config = obj(parseYaml(fs.readFileSync(path.join(root, 'grafana/prometheus.yml'), 'utf8')) as Json, 'prometheus.yml');
    const ruleFiles = (config.rule_files as Json[]).map((r) => str(r, 'rule_files[]'));
    expect(ruleFiles.length).toBeGreaterThan(0);
    for (const rule of ruleFiles) {
      // Prometheus resolves rule_files relative to the config file, in the container and in the repo.
      const inContainer = path.posix.join(path.posix.dirname(configTarget), rule);
      const mount = pm.find((m) => m.target === inContainer);
      expect(mount, `rule file ${inContainer} is mounted`).toBeDefined();
      expect(path.resolve(root, mount?.source ?? '')).toBe(path.resolve(root, 'grafana', rule));
    }

    const job = (config.scrape_configs as Json[]).map((j) => obj(j, 'scrape_config')).find((j) => j.job_name === 'beaconry');
    const targets = obj((job?.static_configs as Json[])[0], 'static_configs[0]').targets as Json[];
    const port = String(obj(obj(services.beaconry, 'b').environment, 'env').BEACONRY_PORT);
    expect(targets).toEqual([`beaconry:${port}`]);
    expect(job?.metrics_path).toBe('/metrics');
  });

  it('provisions Grafana from grafana/ with the paths its provisioning files expect', () => {
    const g = obj(services.grafana, 'grafana');
    const gm = mounts(compose).filter((m) => m.service === 'grafana');
    expect(gm.find((m) => m.target === '/etc/grafana/provisioning')?.source).toBe('./grafana/provisioning');

    const provider = obj(parseYaml(fs.readFileSync(path.join(root, 'grafana/provisioning/dashboards/beaconry.yml'), 'utf8')) as Json, 'dashboards provider');
    const first = obj((provider.providers as Json[])[0], 'providers[0]');
    const dashPath = str(obj(first.options, 'options').path, 'options.path');
    expect(gm.find((m) => m.target === dashPath)?.source).toBe('./grafana/dashboards');

    const env = obj(g.environment, 'grafana.environment');
    expect(env.GF_AUTH_ANONYMOUS_ENABLED).toBe('false');
    expect(str(env.GF_SECURITY_ADMIN_PASSWORD, 'admin password')).toMatch(/^\$\{GRAFANA_ADMIN_PASSWORD:-[^}]+\}$/);
    const home = str(env.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH, 'home dashboard');
    expect(home.startsWith(`${dashPath}/`)).toBe(true);
    expect(fs.existsSync(path.join(root, 'grafana/dashboards', path.posix.basename(home)))).toBe(true);

    const ds = obj(parseYaml(fs.readFileSync(path.join(root, 'grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as Json, 'datasources');
    const prom = obj((ds.datasources as Json[])[0], 'datasources[0]');
    expect(prom.uid).toBe('prometheus');
    expect(prom.type).toBe('prometheus');
    expect(prom.url).toBe('http://prometheus:9090');
  });
});

describe('Dockerfile and .dockerignore', () => {
  const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  const lines = dockerfile.split('\n').map((l) => l.trim());

  it('builds in two node:20-bookworm-slim stages with npm install (from the lock) and npm run build', () => {
    expect(lines.filter((l) => /^FROM node:20-bookworm-slim\b/.test(l))).toHaveLength(2);
    expect(dockerfile).toMatch(/RUN npm install\b/);
    expect(dockerfile).toMatch(/COPY package\.json package-lock\.json/);
    expect(dockerfile).toMatch(/npm run build\b/);
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
    expect(pkg.scripts?.build).toBeDefined();
  });

  it('runs `node dist/cli/beaconry.js start` as a non-root user with a data volume', () => {
    const users = lines.filter((l) => l.startsWith('USER '));
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^USER (root|0)\b/);
    expect(lines).toContain('CMD ["node", "dist/cli/beaconry.js", "start"]');
    expect(dockerfile).toMatch(/VOLUME \["\/app\/data"\]/);
    expect(dockerfile).toMatch(/BEACONRY_DATA_DIR=\/app\/data/);
  });

  it('copies from the build context only files that exist', () => {
    for (const line of lines.filter((l) => l.startsWith('COPY ') && !l.includes('--from='))) {
      const parts = line.split(/\s+/).slice(1).filter((p) => !p.startsWith('--'));
      for (const src of parts.slice(0, -1)) {
        expect(fs.existsSync(path.join(root, src)), src).toBe(true);
      }
    }
  });

  it('keeps local state out of the build context but not what the build needs', () => {
    const ignore = fs.readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const must of ['node_modules', 'data', 'dist', '.git']) expect(ignore).toContain(must);
    for (const needed of ['package.json', 'package-lock.json', 'scripts', 'core', 'ingest', 'aggregator', 'cli', 'dashboard', 'tracker']) {
      expect(ignore).not.toContain(needed);
    }
  });
});
