'use client';

import { useState } from 'react';
import { programDownload, saveDownload } from '../lib/download';
import type { FileDraft } from '../lib/program-files';

/** Downloads the program's files: one as itself, several as a zip. */
export default function DownloadButton({ files, language }: { files: readonly FileDraft[]; language: string }) {
  const [failed, setFailed] = useState(false);
  const label = files.length === 1 ? `Download ${files[0]!.name}` : `Download the ${files.length} files as a zip`;
  const download = async () => {
    try {
      saveDownload(await programDownload(files, language));
      setFailed(false);
    } catch {
      setFailed(true);
    }
  };
  return (
    <button type="button" className="download" onClick={() => void download()} aria-label={label} title={failed ? 'The download could not be made: try again' : label}>
      <span aria-hidden="true">⤓</span> Download
    </button>
  );
}
