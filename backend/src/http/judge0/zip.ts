import { unzipSync } from 'fflate';
import { fileNameProblem, fileNamesClash, MAX_FILES } from '../../file-names.js';

/**
 * Judge0's `additional_files`: a .zip whose files are put beside the program before it is
 * compiled (Judge0 runs `unzip -n`: a file named as the program's source does not replace
 * it). Unpacked here, in memory, when the submission is made, so a bad archive is a 422 then
 * instead of a run without its files. fflate (already the backend's zip reader) inflates each
 * entry into a buffer of the size the archive's directory declares and never grows it: an
 * archive that lies about its sizes gets cut short, and what it declares is checked against
 * the cap before anything is inflated, so a zip bomb costs no more memory than the cap.
 */

export interface UnpackedFile {
  name: string;
  content: Buffer;
}

/**
 * The archive's files (folders left out), or what is wrong with it; `capBytes` bounds the
 * total unpacked (what RUNBOX_CODE_KB, `codeKb`, leaves beside the source code).
 */
export function unpackAdditionalFiles(zip: Buffer, capBytes: number, codeKb: number, sourceFile: string): { files: UnpackedFile[] } | { problem: string } {
  let declared = 0;
  let count = 0;
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(zip, {
      filter: (file) => {
        if (file.name.endsWith('/')) return false;
        count++;
        declared += file.originalSize;
        if (count > MAX_FILES) throw new ArchiveError(`must hold at most ${MAX_FILES - 1} files besides the source (it has more)`);
        if (declared > capBytes) throw new ArchiveError(`must unpack to at most ${capBytes} bytes (with the source code: RUNBOX_CODE_KB, ${codeKb} KiB)`);
        return true;
      },
    });
  } catch (err) {
    if (err instanceof ArchiveError) return { problem: err.message };
    return { problem: 'is not a valid zip archive (Base64 of a .zip file)' };
  }
  const files: UnpackedFile[] = [];
  for (const [raw, content] of Object.entries(entries)) {
    // unzip's names may begin with ./ ; a file named as the source is left out, as `unzip -n` leaves it
    const name = raw.replace(/^(\.\/)+/, '');
    if (name === sourceFile) continue;
    const problem = fileNameProblem(name);
    if (problem) return { problem: `holds a file whose name ${problem}: ${JSON.stringify(name.slice(0, 100))}` };
    files.push({ name, content: Buffer.from(content.buffer, content.byteOffset, content.byteLength) });
  }
  const clash = fileNamesClash([sourceFile, ...files.map((f) => f.name)]);
  if (clash) return { problem: `holds ${JSON.stringify(files[clash.index - 1]?.name ?? '')}, which clashes with another file (${clash.message.replace(/files\[(\d+)\]\.name/g, (_, i: string) => (i === '0' ? 'the source file' : 'a file of the archive'))})` };
  return { files };
}

class ArchiveError extends Error {}
