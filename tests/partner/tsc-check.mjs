// Runs `tsc --noEmit --strict` over check files in `checkDir` (each assigns samples to generated
// types), with the compiler at `tsc`; returns whether it accepted them. Shared by the partner
// checks of json-schema-to-typescript (TypeScript 7) and openapi-typescript (TypeScript 5).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

export async function typeCheck(checkDir, files, tsc) {
  const tsconfig = {
    compilerOptions: {
      strict: true,
      noEmit: true,
      target: 'es2022',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      skipLibCheck: false,
    },
    files,
  };
  await writeFile(join(checkDir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  try {
    execFileSync(tsc, ['-p', join(checkDir, 'tsconfig.json')], { stdio: 'inherit' });
    return true;
  } catch {
    console.error('tsc --noEmit --strict rejected the declarations or a sample');
    return false;
  }
}
