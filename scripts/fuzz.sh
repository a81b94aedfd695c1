#!/usr/bin/env bash
# Runs the fuzz targets (libFuzzer through cargo-fuzz, nightly toolchain) for a given time each,
# from the seed corpus kept in the repository (plus real samples from the shared corpus beside
# it, read in place, for the EVTX, capture, compression and Zeek TSV targets), and prints one
# line of counts per target.
#
#   scripts/fuzz.sh TARGET|all SECONDS     # e.g. scripts/fuzz.sh all 600, scripts/fuzz.sh udm 60
#   scripts/fuzz.sh list                   # the targets
#
# Targets live in crates/packets/fuzz (captures, flows, reassembly, DPI) and crates/ingest/fuzz
# (every log reader, decompression, format sniffing, the chunker and prefilter, the mapping and
# configuration files). Each reads seeds/TARGET (small files, in git) and grows a working corpus
# outside the repository ($FUZZ_WORK, default $CARGO_TARGET_DIR/fuzz-corpus); inputs go up to
# 256 KiB so the 64 KiB buffers and the line bounds are reached. Crashes are left in the fuzz
# crate's artifacts/TARGET/ and make the script exit 1. With FUZZ_KEEP_SEEDS=1, up to 32 of the
# smallest new corpus inputs (under 4 KiB) are copied into seeds/TARGET afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

crates=(crates/packets/fuzz crates/ingest/fuzz)
max_len=${FUZZ_MAX_LEN:-262144}
work_root=${FUZZ_WORK:-${CARGO_TARGET_DIR:-$root/target}/fuzz-corpus}

targets_of() {
  sed -n 's/^name = "\(.*\)"$/\1/p' "$1/Cargo.toml" | grep -v -- '-fuzz$'
}

crate_of() {
  local t=$1 c
  for c in "${crates[@]}"; do
    if targets_of "$c" | grep -qx "$t"; then
      echo "$c"
      return
    fi
  done
  return 1
}

# Real third-party samples (the shared corpus next to the repository, when it is there) are
# extra seeds for the targets that read their formats. They are linked, never copied, into a
# directory outside the repository; libFuzzer only reads them (new inputs go to the first
# corpus directory). sysmon_evtx has no seeds of its own: the only real EVTX files are there.
corpus_root=${FUZZ_REAL_SAMPLES:-$root/../shared/corpus}

real_seeds() {
  local t=$1 dir pats=() n=0 f p
  case $t in
    sysmon_evtx) pats=('*.evtx') ;;
    capture_reader) pats=('*.pcap' '*.pcapng') ;;
    decompress) pats=('*.gz' '*.zip') ;;
    zeek_tsv) pats=('*.log') ;;
    *) return 0 ;;
  esac
  [ -d "$corpus_root" ] || return 0
  dir="$work_root/real-$t"
  rm -rf "$dir"
  mkdir -p "$dir"
  for p in "${pats[@]}"; do
    while IFS= read -r -d '' f; do
      n=$((n + 1))
      ln -s "$f" "$dir/$n-$(basename "$f" | tr ' ' '_')"
    done < <(find "$corpus_root" -type f -name "$p" -size -2M -print0 | sort -z)
  done
  [ "$n" -gt 0 ] && echo "$dir"
  return 0
}

if [ "${1:-}" = "list" ]; then
  for c in "${crates[@]}"; do targets_of "$c" | sed "s|^|$c: |"; done
  exit 0
fi

which=${1:?usage: scripts/fuzz.sh TARGET|all|list SECONDS}
secs=${2:?usage: scripts/fuzz.sh TARGET|all SECONDS}

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz" >&2
  cargo install --locked cargo-fuzz
fi

if [ "$which" = all ]; then
  mapfile -t todo < <(for c in "${crates[@]}"; do targets_of "$c"; done)
else
  todo=("$which")
fi

status=0
printf '%-16s %12s %8s %8s %8s\n' target execs cov ft crashes
for t in "${todo[@]}"; do
  crate=$(crate_of "$t") || { echo "no target $t" >&2; exit 2; }
  seeds="$root/$crate/seeds/$t"
  work="$work_root/$t"
  mkdir -p "$seeds" "$work"
  log="$work_root/$t.log"
  before=$({ find "$root/$crate/artifacts/$t" -type f 2>/dev/null || true; } | wc -l)
  # A mapping file's name and description are leaked on purpose (`&'static str`, loaded once
  # per run): LeakSanitizer would report that on every input, so leaks are not checked there.
  # capture_reader starts a thread per input (the flow table's second shard), and glibc's
  # thread-exit destructor list (`__cxa_thread_atexit_impl`, 32 bytes) is then reported as a
  # leak now and then: not ours, and not checked either.
  leaks=1
  case $t in mapping_toml | capture_reader) leaks=0 ;; esac
  real=$(real_seeds "$t")
  (cd "$crate" && ASAN_OPTIONS="detect_leaks=$leaks" cargo +nightly fuzz run "$t" "$work" "$seeds" ${real:+"$real"} -- \
    -max_total_time="$secs" -max_len="$max_len" -rss_limit_mb=2048 -timeout=30 \
    -detect_leaks="$leaks" -print_final_stats=1) >"$log" 2>&1 || true
  after=$({ find "$root/$crate/artifacts/$t" -type f 2>/dev/null || true; } | wc -l)
  crashes=$((after - before))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  printf '%-16s %12s %8s %8s %8s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$crashes"
  if [ "$crashes" -gt 0 ] || [ -z "$execs" ]; then
    status=1
    echo "  see $log and $crate/artifacts/$t/" >&2
  fi
  if [ "${FUZZ_KEEP_SEEDS:-0}" = 1 ]; then
    have=$(find "$seeds" -type f | wc -l)
    find "$work" -type f -size -4k -printf '%s %p\n' | sort -n | head -n $((32 - have > 0 ? 32 - have : 0)) |
      while read -r _ f; do cp -n "$f" "$seeds/"; done
  fi
done
exit "$status"
