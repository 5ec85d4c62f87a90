#!/usr/bin/env bash
# Regenerates src/main/resources/catalog/catalog.bin.gz from the EC2 reference data.
# Usage: hack/generate-catalog.sh [DATA_DIR]   (default: ../shared/data/aws)
# Same input, same bytes: CatalogGeneratorTest checks the committed file against a regeneration.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data="${1:-$root/../shared/data/aws}"
source "$root/hack/lib.sh"
ensure_java_home
cd "$root"
./mvnw -B -q -DskipTests compile
cp="$root/target/classes:$(./mvnw -B -q dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=runtime)"
exec java -cp "$cp" dev.karpenter.cli.Main catalog generate \
  --instance-types "$data/describe-instance-types.json" \
  --instance-types "$data/describe-instance-types-supplement.json" \
  --offerings "us-east-1=$data/offerings-az-us-east-1.json" \
  --offerings "us-west-2=$data/offerings-az-us-west-2.json" \
  --prices "$data/on-demand-prices.json" \
  --output "$root/src/main/resources/catalog/catalog.bin.gz"
