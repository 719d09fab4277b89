import type { DownloadedFile } from '../api/api-client';

/**
 * Hands a downloaded file to the browser as a download (an object URL of this origin and an
 * anchor with `download`), then frees the URL. The file never leaves memory otherwise.
 */
export function saveFile(file: DownloadedFile): void {
  const url = URL.createObjectURL(file.blob);
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = file.filename;
  anchor.rel = 'noopener';
  anchor.style.display = 'none';
  document.body.appendChild(anchor);
  anchor.click();
  anchor.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
