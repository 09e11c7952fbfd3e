#!/bin/bash
# README's list of the functions users call (the extension's schema after CREATE EXTENSION,
# "Building by hand") must be the list sql/90_comments.sql prints from pg_proc
# (expected/90_comments.out): a function added, dropped or moved to varformer_internal without
# the README following fails here.
set -euo pipefail
cd "${VF_ROOT:-$(dirname "$0")/../..}"
readme=$(awk '/lists only the$/ || /lists only the functions users call/ {f=1; next}
              f && /^    [a-z]/ {print; next}
              f && /^$/ && n++ > 0 {exit}' README.md | tr -s ' ' '\n' | grep -v '^$' | sort)
sql=$(awk '/^ +user_facing_function *$/ {f=1; next} f && /^-/ {next} f && /^\(/ {exit} f {print $1}' expected/90_comments.out | sort)
[ -n "$readme" ] || { echo "README: no function list found"; exit 1; }
[ -n "$sql" ] || { echo "expected/90_comments.out: no user_facing_function list found"; exit 1; }
if [ "$readme" != "$sql" ]; then
  echo "README's function list differs from pg_proc's (expected/90_comments.out):"
  diff <(echo "$readme") <(echo "$sql") || true
  exit 1
fi
echo "README lists the $(echo "$sql" | wc -l) functions of the extension's schema"
