// Where the time goes: the self time of the top functions in each thread's V8 CPU profile
// (`npm run bench -- ingest --profile` writes them while the real server is under load).
import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

export function summarizeProfiles(dir: string, top = 12): string {
  if (!fs.existsSync(dir)) return '';
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
  return files.map((f, i) => {
    const p = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as CpuProfile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const self = new Map<string, number>();
    let total = 0;
    p.samples.forEach((id, k) => {
      const n = byId.get(id)!;
      const name = `${n.callFrame.functionName || '(anonymous)'} ${path.basename(n.callFrame.url)}`.trim();
      const dt = p.timeDeltas[k] ?? 0;
      total += dt;
      self.set(name, (self.get(name) ?? 0) + dt);
    });
    const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)
      .map(([name, us]) => `| ${name.replaceAll('|', '\\|')} | ${((us / total) * 100).toFixed(1)} % |`);
    const thread = i === 0 ? 'main thread (edge, log, store applier)' : `pool worker ${i}`;
    return [`**${thread}** (${(total / 1e6).toFixed(1)} s sampled)`, '', '| function | self time |', '|---|---:|', ...rows].join('\n');
  }).join('\n\n');
}
