#!/usr/bin/env bash
# Soak the writer's exactly-once guarantee: ExactlyOnceIT with more records and more kill -9s.
#   scripts/soak-writer.sh RECORDS [KILLS]      e.g. scripts/soak-writer.sh 100000 40
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
records=${1:?usage: scripts/soak-writer.sh RECORDS [KILLS]}
kills=${2:-$(( records / 2000 + 5 ))}
minutes=$(( records / 3000 + 10 ))
mvn -B -q -DskipTests install -pl writer-service -am
exec mvn -B verify -pl writer-service -Dit.test=ExactlyOnceIT -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Dsoak.records="$records" -Dsoak.kills="$kills" -Dsoak.drain.minutes="$minutes"
