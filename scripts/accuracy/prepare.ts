import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type CorpusProject, DEFAULT_CORPUS_FOLDER, optionValue, projectFolder, readManifest } from './corpus.js';

const USAGE = `Prepares the accuracy corpus: each project's migrations at the manifest's commit (accuracy/corpus.json).

  node dist/scripts/accuracy/prepare.js [--checkouts <folder>] [--corpus <folder>] [--clone]

--checkouts  where git checkouts (or bare mirrors) of the repositories are: <folder>/<owner>+<name>/repo,
             <folder>/<owner>/<name> or <folder>/<name> (default: /work/.mirror)
--corpus     where the projects are extracted, one folder each (default: .accuracy-corpus, ignored by git)
--clone      clone a repository that is not among the checkouts (into <checkouts>/<owner>/<name>)`;

/** The git directory of a project's repository among the checkouts; cloned when asked and missing. */
function checkoutOf(project: CorpusProject, checkouts: string, clone: boolean): string {
  const [owner = '', name = ''] = project.repository.split('/');
  const candidates = [join(checkouts, `${owner}+${name}`, 'repo'), join(checkouts, owner, name), join(checkouts, name)];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found !== undefined) return found;
  if (!clone) throw new Error(`no checkout of ${project.repository} in ${checkouts} (looked for ${candidates.join(', ')}); pass --clone to clone it`);
  const target = join(checkouts, owner, name);
  execFileSync('git', ['clone', '--quiet', '--bare', '--filter=blob:none', `https://github.com/${project.repository}.git`, target], { stdio: 'inherit' });
  return target;
}

/** Extracts the project's paths at its commit, and writes its migrate-safe configuration when it has one. */
function prepare(project: CorpusProject, gitDir: string, corpus: string): void {
  const target = projectFolder(corpus, project);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  const archive = execFileSync('git', ['-C', gitDir, 'archive', '--format=tar', project.commit, '--', ...project.paths], { maxBuffer: 1 << 30 });
  execFileSync('tar', ['-x', '-C', target], { input: archive });
  if (project.config) writeFileSync(join(target, '.migrate-saferc.json'), `${JSON.stringify(project.config, null, 2)}\n`);
}

if (process.argv[1] === import.meta.filename) {
  const args = process.argv.slice(2);
  if (args.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
  } else {
    const checkouts = resolve(optionValue(args, '--checkouts') ?? '/work/.mirror');
    const corpus = resolve(optionValue(args, '--corpus') ?? DEFAULT_CORPUS_FOLDER);
    for (const project of readManifest().projects) {
      prepare(project, checkoutOf(project, checkouts, args.includes('--clone')), corpus);
      process.stdout.write(`${project.id}: ${project.repository}@${project.commit.slice(0, 12)} ${project.paths.join(' ')}\n`);
    }
  }
}
