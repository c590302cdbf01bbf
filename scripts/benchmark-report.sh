# Sourced by the benchmark scripts (ROOT set): record_benchmark NAME BODY puts BODY and the machine it ran on
# between <!-- NAME:start --> and <!-- NAME:end --> in docs/BENCHMARKS.md, replacing an earlier run's block, as
# the Java benchmarks' BenchmarkReport does.
record_benchmark() {
  local name=$1 body=$2 file="$ROOT/docs/BENCHMARKS.md" machine section
  machine="$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 )) MiB RAM, $(java -version 2>&1 | head -1)"
  section="<!-- $name:start -->
$body

_Run $(date -Iseconds) on $machine._
<!-- $name:end -->"
  echo
  echo "$section"
  if grep -q "<!-- $name:start -->" "$file"; then
    # through the environment, not awk -v, which would read backslashes in the body as escapes
    SECTION="$section" START="<!-- $name:start -->" END="<!-- $name:end -->" awk '
      $0 == ENVIRON["START"] {print ENVIRON["SECTION"]; skip=1; next}
      $0 == ENVIRON["END"] {skip=0; next}
      !skip {print}' "$file" >"$file.tmp" && mv "$file.tmp" "$file"
  else
    printf '\n%s\n' "$section" >>"$file"
  fi
  echo "figures in docs/BENCHMARKS.md"
}
