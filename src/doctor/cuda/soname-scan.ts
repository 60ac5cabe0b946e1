/**
 * The CUDA and cuDNN library names written literally inside binaries (libtensorflow and its
 * framework library), read in chunks so a 400 MB library never sits in memory whole. Owns only the
 * scan; which files to scan is native-requirements.ts's choice.
 */
import { closeSync, openSync, readSync } from 'node:fs';

const SONAME_PATTERN = /lib(cudart|cublas|cublasLt|cufft|curand|cusolver|cusparse|cudnn)\.so(\.\d+)*/g;
/** Longer than any soname, so a match starting before a chunk's last OVERLAP characters is whole. */
const OVERLAP = 256;

/**
 * CUDA/cuDNN sonames embedded in the files, read `chunkBytes` at a time; deduplicated and sorted.
 * A bare `libcudnn.so` is dropped when a versioned `libcudnn.so.8` is also named.
 */
export function scanSonames(files: string[], chunkBytes = 1 << 20): string[] {
  const found = new Set<string>();
  const buffer = Buffer.alloc(chunkBytes);
  for (const file of files) {
    const fd = openSync(file, 'r');
    try {
      let carry = '';
      for (let read = -1; read !== 0;) {
        read = readSync(fd, buffer, 0, chunkBytes, null);
        const text = carry + buffer.toString('latin1', 0, read);
        const complete = read === 0 ? text.length : Math.max(0, text.length - OVERLAP);
        for (const match of text.matchAll(SONAME_PATTERN)) if (match.index < complete) found.add(match[0]);
        carry = text.slice(complete);
      }
    } finally {
      closeSync(fd);
    }
  }
  const names = [...found];
  return names.filter((name) => !name.endsWith('.so') || !names.some((other) => other.startsWith(`${name}.`))).sort();
}
