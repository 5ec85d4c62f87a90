#!/usr/bin/env bash
# The project's test command (README, .ci/run): provisions every real part the tests use (cached after
# the first run, see docs/development.md), then runs the whole build with unit and integration tests.
# Extra arguments go to Maven, e.g. hack/test.sh -Dit.test=MotoIT.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

ensure_java_home

"$here/provision.sh"
cd "$here/.."
exec ./mvnw -B verify "$@"
