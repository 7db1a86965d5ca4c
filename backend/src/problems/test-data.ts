import { z } from 'zod';
import { PackageError } from './package-error.js';
import { filesUnder, textOf, type PackageFiles } from './package-files.js';
import { flagsOf } from './problem-yaml.js';
import { parseYamlFile } from './yaml-file.js';

/**
 * data/: the sample and secret groups and their subgroups, each a folder of `<name>.in` and
 * `<name>.ans` pairs and a `testdata.yaml` whose settings its subgroups inherit. Cases and
 * subgroups are judged in the order of their names, as the format says.
 */

export interface PackageTest {
  /** its path below data/ without the extension: `secret/group1/03-big` */
  name: string;
  /** the folder it is in, below data/: `sample`, `secret`, `secret/group1` */
  group: string;
  input: string;
  answer: string;
  /** a sample: shown with the statement (in data/sample) */
  sample: boolean;
}

/** A group's settings after inheritance. */
export interface PackageGroup {
  /** below data/; '' is data/ itself (the root: data/testdata.yaml) */
  path: string;
  onReject: 'break' | 'continue';
  outputValidatorFlags: string[];
  graderFlags: string[];
  acceptScore: number;
  rejectScore: number;
}

export interface TestData {
  tests: PackageTest[];
  groups: PackageGroup[];
  /** data/sample's interaction protocols (`.interaction`), shown for interactive problems instead of their files */
  interactions: { name: string; text: string }[];
}

const testdataSchema = z.strictObject({
  on_reject: z.enum(['break', 'continue'], { error: 'must be break or continue' }).optional(),
  grading: z.enum(['default', 'custom'], { error: 'must be default or custom' }).optional(),
  grader_flags: z.string({ error: 'must be a string' }).optional(),
  input_validator_flags: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  output_validator_flags: z.string({ error: 'must be a string' }).optional(),
  accept_score: z.number({ error: 'must be a number' }).optional(),
  reject_score: z.number({ error: 'must be a number' }).optional(),
  range: z.string().optional(),
});

const ROOT: PackageGroup = { path: '', onReject: 'break', outputValidatorFlags: [], graderFlags: [], acceptScore: 1, rejectScore: 0 };

export function readTestData(pkg: PackageFiles): TestData {
  const data = filesUnder(pkg, 'data');
  const byName = new Map(data);
  const tests: PackageTest[] = [];
  const groups: PackageGroup[] = [];
  const interactions: TestData['interactions'] = [];
  const hasSecret = data.some(([name]) => name.startsWith('secret/'));
  if (!hasSecret) throw new PackageError('data/secret', 'is missing or has no test: a package needs at least one secret test case');

  const visit = (dir: string, parent: PackageGroup) => {
    const settingsFile = byName.get(`${dir}/testdata.yaml`);
    const own = settingsFile ? parseYamlFile(`data/${dir}/testdata.yaml`, textOf(`data/${dir}/testdata.yaml`, settingsFile), testdataSchema) : {};
    if (own.grading === 'custom') throw new PackageError(`data/${dir}/testdata.yaml`, 'custom graders are not supported: use the default grader\'s flags');
    const group: PackageGroup = {
      path: dir,
      onReject: own.on_reject ?? parent.onReject,
      outputValidatorFlags: own.output_validator_flags !== undefined ? flagsOf(own.output_validator_flags) : parent.outputValidatorFlags,
      graderFlags: own.grader_flags !== undefined ? flagsOf(own.grader_flags) : parent.graderFlags,
      acceptScore: own.accept_score ?? parent.acceptScore,
      rejectScore: own.reject_score ?? parent.rejectScore,
    };
    groups.push(group);
    // what is directly in this folder: case base names and subfolders, in name order together
    const here = new Map<string, 'case' | 'group'>();
    for (const [name] of data) {
      if (!name.startsWith(`${dir}/`)) continue;
      const rest = name.slice(dir.length + 1);
      const slash = rest.indexOf('/');
      if (slash >= 0) here.set(rest.slice(0, slash), 'group');
      else if (rest.endsWith('.in')) here.set(rest.slice(0, -3), 'case');
      else if (rest.endsWith('.ans') && !byName.has(`${dir}/${rest.slice(0, -4)}.in`) && !byName.has(`${dir}/${rest.slice(0, -4)}.interaction`)) {
        throw new PackageError(`data/${dir}/${rest}`, `has no ${rest.slice(0, -4)}.in beside it`);
      } else if (rest.endsWith('.interaction')) interactions.push({ name: `${dir}/${rest.slice(0, -12)}`, text: textOf(`data/${dir}/${rest}`, byName.get(name)!) });
    }
    for (const [entry, kind] of [...here.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (kind === 'group') {
        visit(`${dir}/${entry}`, group);
        continue;
      }
      const file = (ext: string) => byName.get(`${dir}/${entry}.${ext}`);
      const input = file('in')!;
      const answer = file('ans');
      if (!answer) throw new PackageError(`data/${dir}/${entry}.in`, `has no ${entry}.ans beside it`);
      tests.push({
        name: `${dir}/${entry}`,
        group: dir,
        input: textOf(`data/${dir}/${entry}.in`, input),
        answer: textOf(`data/${dir}/${entry}.ans`, answer),
        sample: dir === 'sample' || dir.startsWith('sample/'),
      });
    }
  };
  // data/testdata.yaml: the root's settings (its grader_flags such as ignore_sample), inherited by both
  const rootFile = byName.get('testdata.yaml');
  const rootOwn = rootFile ? parseYamlFile('data/testdata.yaml', textOf('data/testdata.yaml', rootFile), testdataSchema) : {};
  const root: PackageGroup = {
    path: '',
    onReject: rootOwn.on_reject ?? ROOT.onReject,
    outputValidatorFlags: rootOwn.output_validator_flags !== undefined ? flagsOf(rootOwn.output_validator_flags) : [],
    graderFlags: rootOwn.grader_flags !== undefined ? flagsOf(rootOwn.grader_flags) : [],
    acceptScore: rootOwn.accept_score ?? ROOT.acceptScore,
    rejectScore: rootOwn.reject_score ?? ROOT.rejectScore,
  };
  groups.push(root);
  if (data.some(([name]) => name.startsWith('sample/'))) visit('sample', root);
  visit('secret', root);
  if (!tests.some((t) => !t.sample)) throw new PackageError('data/secret', 'has no test case (a .in and .ans pair)');
  return { tests, groups, interactions };
}
