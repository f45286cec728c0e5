#!/bin/bash
# Packs Basin for the lent GPU machine (the `device` tool of this workplace), which has PyTorch but no .NET: the CLI and the
# benchmarks as trimmed self-contained programs without the bundled CPU libtorch (the machine's own is loaded through
# BASIN_LIBTORCH), into .gpu/ (ignored through .git/info/exclude), about 9 MB, with check.sh and reference.py beside them.
# Then:  run(command="bash .gpu/check.sh", carry=[".gpu"], timeout_s=480); its files come back as markdown and CSV tables.
set -euo pipefail
cd "$(dirname "$0")/../.."
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo /.gpu/ >> .git/info/exclude
out=$(mktemp -d)
flags=(-c Release -r linux-x64 --self-contained -p:PublishTrimmed=true -p:TrimMode=partial -p:EnableTrimAnalyzer=false
       -p:SuppressTrimAnalysisWarnings=true -p:TreatWarningsAsErrors=false -p:JsonSerializerIsReflectionEnabledByDefault=true)
dotnet publish src/Basin.Cli "${flags[@]}" -o "$out/cli" >/dev/null
dotnet publish benchmarks/Basin.Benchmarks "${flags[@]}" -o "$out/bench" >/dev/null
for d in "$out/cli" "$out/bench"; do
  (cd "$d" && ls *.so | grep -v -E '^lib(LibTorchSharp|basin_glibcxx|System|clr|coreclr|hostfxr|hostpolicy)' | xargs -r rm -f
   rm -rf cs de es fr it ja ko pl pt-BR ru tr zh-Hans zh-Hant ./*.pdb ./*.xml createdump)
done
mkdir -p .gpu
tar -C "$out" -cf - cli bench | xz -9 -T2 > .gpu/basin-gpu.tar.xz
cp tools/device/check.sh tools/device/reference.py .gpu/
rm -rf "$out"
ls -la .gpu
