/**
 * New containers' identities: a random 64-hex ID and a unique name, the user's or a docker-style
 * adjective_surname (from a shorter list than docker's). Kept apart from the record readers so
 * `ps` does not load the native addon.
 */
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { containerDirs, procStart, sameProcess } from '../storage/containers.ts';
import { join } from 'node:path';
import type { StatePaths } from '../config/paths.ts';
import { TsctrError, fromSystemError } from '../errors.ts';
import { randomBelow, randomHex } from '../native/random.ts';

const left = [
  'admiring',
  'adoring',
  'affectionate',
  'agitated',
  'amazing',
  'angry',
  'awesome',
  'beautiful',
  'blissful',
  'bold',
  'boring',
  'brave',
  'busy',
  'charming',
  'clever',
  'compassionate',
  'competent',
  'confident',
  'cool',
  'cranky',
  'crazy',
  'dazzling',
  'determined',
  'distracted',
  'dreamy',
  'eager',
  'ecstatic',
  'elastic',
  'elated',
  'elegant',
  'eloquent',
  'epic',
  'exciting',
  'fervent',
  'festive',
  'flamboyant',
  'focused',
  'friendly',
  'frosty',
  'funny',
  'gallant',
  'gifted',
  'goofy',
  'gracious',
  'great',
  'happy',
  'hardcore',
  'heuristic',
  'hopeful',
  'hungry',
  'infallible',
  'inspiring',
  'intelligent',
  'interesting',
  'jolly',
  'jovial',
  'keen',
  'kind',
  'laughing',
  'loving',
  'lucid',
  'magical',
  'modest',
  'musing',
  'mystifying',
  'naughty',
  'nervous',
  'nice',
  'nifty',
  'nostalgic',
  'objective',
  'optimistic',
  'peaceful',
  'pedantic',
  'pensive',
  'practical',
  'priceless',
  'quirky',
  'quizzical',
  'recursing',
  'relaxed',
  'reverent',
  'romantic',
  'sad',
  'serene',
  'sharp',
  'silly',
  'sleepy',
  'stoic',
  'strange',
  'stupefied',
  'suspicious',
  'sweet',
  'tender',
  'thirsty',
  'trusting',
  'unruffled',
  'upbeat',
  'vibrant',
  'vigilant',
  'vigorous',
  'wizardly',
  'wonderful',
  'xenodochial',
  'youthful',
  'zealous',
  'zen',
];

const right = [
  'agnesi',
  'albattani',
  'allen',
  'archimedes',
  'ardinghelli',
  'babbage',
  'banach',
  'bardeen',
  'bartik',
  'bell',
  'blackwell',
  'bohr',
  'booth',
  'borg',
  'bose',
  'brahmagupta',
  'brattain',
  'brown',
  'carson',
  'cerf',
  'chandrasekhar',
  'chaum',
  'clarke',
  'curie',
  'darwin',
  'davinci',
  'dijkstra',
  'einstein',
  'elion',
  'engelbart',
  'euclid',
  'euler',
  'faraday',
  'fermat',
  'fermi',
  'feynman',
  'franklin',
  'galileo',
  'gauss',
  'goldberg',
  'goodall',
  'hamilton',
  'hawking',
  'heisenberg',
  'hertz',
  'hodgkin',
  'hoover',
  'hopper',
  'hypatia',
  'jackson',
  'jennings',
  'johnson',
  'kalam',
  'kepler',
  'knuth',
  'lamarr',
  'lamport',
  'leakey',
  'lovelace',
  'lumiere',
  'mayer',
  'mccarthy',
  'mcclintock',
  'meitner',
  'mendel',
  'merkle',
  'morse',
  'napier',
  'newton',
  'nobel',
  'noether',
  'pascal',
  'pasteur',
  'payne',
  'perlman',
  'pike',
  'poincare',
  'ramanujan',
  'ritchie',
  'rosalind',
  'sammet',
  'shamir',
  'shannon',
  'shaw',
  'sinoussi',
  'stallman',
  'swanson',
  'tesla',
  'thompson',
  'torvalds',
  'turing',
  'varahamihira',
  'visvesvaraya',
  'wilbur',
  'wiles',
  'williams',
  'wing',
  'wozniak',
  'wright',
  'yalow',
  'yonath',
];

/** After a clash docker appends a digit; so do we. */
export function randomName(retry: boolean): string {
  const name = `${left[randomBelow(left.length)]}_${right[randomBelow(right.length)]}`;
  return retry ? `${name}${randomBelow(10)}` : name;
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Reserves a name atomically; docker's wording on a clash. */
export function reserveName(paths: StatePaths, id: string, wanted: string | undefined): string {
  mkdirSync(join(paths.root, 'names'), { recursive: true, mode: 0o700 });
  if (wanted !== undefined && !NAME_RE.test(wanted)) {
    throw new TsctrError(
      `Invalid container name (${wanted}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
    );
  }
  // The file names its container, and the process that reserved it: a name whose container has
  // no record and whose reserving CLI is gone (killed between this and writing the record) is
  // free again. It is written whole under a name of our own and then linked into place (link(2)
  // fails with EEXIST like O_EXCL), so a CLI killed mid-write cannot leave an empty claim that no
  // one could tell from a live one; a name file without a pid is therefore always abandoned.
  const mine = `${id} ${process.pid} ${procStart(process.pid) ?? ''}`;
  const draft = join(paths.root, 'names', `.${id}.${process.pid}`);
  writeFileSync(draft, mine, { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 10; attempt++) {
      const name = wanted ?? randomName(attempt > 0);
      const file = join(paths.root, 'names', name);
      try {
        linkSync(draft, file);
        return name;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
          throw fromSystemError('cannot reserve name', err);
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch {
          continue; // released meanwhile: try it again
        }
        const [owner = '', pid, start] = text.trim().split(' ');
        const abandoned =
          !(owner && existsSync(join(containerDirs(paths, owner).storage, 'config.json'))) &&
          (pid === undefined || !sameProcess(Number(pid), start || undefined));
        if (abandoned) {
          rmSync(file, { force: true });
          continue;
        }
        if (wanted !== undefined) {
          throw new TsctrError(
            `Conflict. The container name "/${name}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`,
          );
        }
      }
    }
  } finally {
    rmSync(draft, { force: true });
  }
  throw new TsctrError('cannot pick a free container name');
}

export function newContainerId(): string {
  return randomHex(32);
}
