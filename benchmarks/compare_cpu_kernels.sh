#!/usr/bin/env bash
# Same numbers on every CPU, measured: run notebooks 01-03 under several OpenBLAS kernels and numpy
# SIMD levels of this machine and compare every CSV table byte for byte against the Haswell run.
#
#   bash benchmarks/compare_cpu_kernels.sh [OUT_DIR]      (after `make setup`; about 3 minutes)
#
# A measurement for people, never part of the tests or CI: it sets OPENBLAS_CORETYPE for its own
# child processes only (some CPUs need that variable left alone; the tests prove CPU independence
# by perturbation instead, tests/test_cpu_independence.py). Kernels a CPU cannot run fall back.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=$ROOT/.venv/bin/python
OUT=${1:-$(mktemp -d)}
run() {  # NAME ENV=VALUE...
  local name=$1; shift
  rm -rf "$OUT/$name"; mkdir -p "$OUT/$name"
  (cd "$ROOT" && env "$@" "$PY" -m papermill -k python3 --cwd notebooks notebooks/01_clean_responses.ipynb \
      "$OUT/$name/01.ipynb" -p out_dir "$OUT/$name/clean" >/dev/null 2>&1 &&
   env "$@" "$PY" -m papermill -k python3 --cwd notebooks notebooks/02_readiness_index.ipynb \
      "$OUT/$name/02.ipynb" -p clean_dir "$OUT/$name/clean" -p out_dir "$OUT/$name/index" >/dev/null 2>&1 &&
   env "$@" "$PY" -m papermill -k python3 --cwd notebooks notebooks/03_reliability.ipynb "$OUT/$name/03.ipynb" \
      -p clean_dir "$OUT/$name/clean" -p index_dir "$OUT/$name/index" -p out_dir "$OUT/$name/reliability" \
      >/dev/null 2>&1) || echo "FAILED: $name"
}
run Haswell OPENBLAS_CORETYPE=Haswell
run SkylakeX OPENBLAS_CORETYPE=SkylakeX
run Zen OPENBLAS_CORETYPE=Zen
run Sandybridge OPENBLAS_CORETYPE=Sandybridge
run Prescott_numpy_baseline OPENBLAS_CORETYPE=Prescott "NPY_DISABLE_CPU_FEATURES=X86_V3 X86_V4 AVX512_ICL"
cd "$OUT" || exit 1
for other in SkylakeX Zen Sandybridge Prescott_numpy_baseline; do
  n=0; d=0
  for f in $(cd Haswell && find . -name '*.csv' | sort); do
    n=$((n + 1)); cmp -s "Haswell/$f" "$other/$f" || { d=$((d + 1)); echo "differs: Haswell vs $other: $f"; }
  done
  echo "Haswell vs $other: $d of $n CSV tables differ"
done
echo "outputs in $OUT"
