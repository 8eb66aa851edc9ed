#!/bin/sh
# test_docs.sh SOURCE_DIR - the documentation a comment points to is in the repository:
#   - every docs/NAME cited in src/, include/, python/, examples/ or the README exists;
#   - every section cited as "docs/vllm_internals.md (x)" has its "## (x)" heading, and every
#     "docs/model_configs.md §N[.M]" its "## N." or "### N.M" heading;
#   - code cites docs/, never the team's reference notes outside the repository
#     ("reference/..." or "../shared/..."), which a reader of a release does not have (tests
#     may: there they name the independent source of an expected value).
set -eu
src=$(cd "$1" && pwd)
cd "$src"
fail() {
    echo "test_docs: FAIL: $*" >&2
    exit 1
}
code="src include python/llmplan python/src examples"

for doc in $(grep -rhoE 'docs/[A-Za-z0-9_.-]+\.(md|in)' $code README.md python/README.md | sort -u); do
    [ -f "$doc" ] || fail "$doc is cited but does not exist"
done

letters=$(grep -rhoE 'docs/vllm_internals\.md \([a-z]\)' $code | sed 's/.*(\(.\))/\1/' | sort -u)
[ -n "$letters" ] || fail "no citation of docs/vllm_internals.md (x) found: is the pattern stale?"
for x in $letters; do
    grep -q "^## ($x) " docs/vllm_internals.md || fail "docs/vllm_internals.md has no section ($x)"
done
for n in $(grep -rhoE 'docs/model_configs\.md §[0-9]+(\.[0-9]+)?' $code | sed 's/.*§//' | sort -u); do
    case $n in
    *.*) grep -q "^### $n " docs/model_configs.md || fail "docs/model_configs.md has no §$n" ;;
    *) grep -q "^## $n\. " docs/model_configs.md || fail "docs/model_configs.md has no §$n" ;;
    esac
done

outside=$(grep -rnE '(\.\./shared/|[^a-z_]reference/)[a-z_]+\.(md|tsv)' $code || true)
[ -z "$outside" ] || fail "code cites notes outside the repository (cite docs/ instead):
$outside"
echo "test_docs: ok"
