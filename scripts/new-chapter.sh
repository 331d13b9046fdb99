#!/usr/bin/env bash
# Start a new chapter: make new-chapter SLUG=shm TITLE=共享内存
# Usage: scripts/new-chapter.sh SLUG TITLE
#
# Creates, with NN = the highest chapter number + 1:
#   chapters/NN-SLUG.md        from book/chapter-template.md (reading flow)
#   chapters/NN-SLUG-tests.md  from book/chapter-tests-template.md (appendix)
#   figures/SLUG-diagram.dot   from book/figure-template.dot
# lists the chapter in book/chapters.txt before the appendices and the tests
# file at the end, then tangles: the program folder code/SLUG/ (a program
# and its cmocka test) appears.  `make` and `make test` pass on the result.
# Refuses to overwrite anything.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ne 2 ] || [ -z "$1" ] || [ -z "$2" ]; then
  echo "Usage: make new-chapter SLUG=name TITLE=标题   (SLUG: lower-case letters and digits)" >&2
  exit 2
fi
slug=$1 title=$2
# The slug is the program folder, the prefix of chunk names and of C test
# functions: letters and digits only keep all three valid.
if ! [[ $slug =~ ^[a-z][a-z0-9]*$ ]]; then
  echo "new-chapter: SLUG must be lower-case letters and digits, starting with a letter: $slug" >&2
  exit 2
fi
case $title in *[\&\|/\\]*|*$'\n'*)
  echo "new-chapter: TITLE must not contain & | / \\ or a newline" >&2; exit 2 ;;
esac
list=book/chapters.txt
for f in chapters/[0-9][0-9]-"$slug".md; do
  [ -e "$f" ] && { echo "new-chapter: $f already uses the slug $slug" >&2; exit 1; }
done
if [ -e "code/$slug" ] || [ -e "figures/$slug-diagram.dot" ]; then
  echo "new-chapter: code/$slug or figures/$slug-diagram.dot already exists" >&2
  exit 1
fi
last=$(find chapters -maxdepth 1 -name '[0-9][0-9]-*.md' -printf '%f\n' | cut -c1-2 | sort -n | tail -n 1)
nn=$(printf '%02d' $((10#${last:-0} + 1)))
chapter=chapters/$nn-$slug.md tests=chapters/$nn-$slug-tests.md fig=figures/$slug-diagram.dot

fill() {
  sed -e '/^<!-- book\/chapter-/,/-->$/d' \
      -e "s/章标题/$title/g" -e "s/NN-slug/$nn-$slug/g" -e "s/chapter NN/chapter $nn/g" \
      -e "s/第 NN 章/第 $((10#$nn)) 章/g" -e "s/图 NN\./图 $((10#$nn))./g" \
      -e "s/slug/$slug/g" "$1" | sed -e '1{/^$/d}'
}
fill book/chapter-template.md > "$chapter"
fill book/chapter-tests-template.md > "$tests"
sed -e "s/slug/$slug/g" book/figure-template.dot > "$fig"

# The chapter goes after the last reading-flow chapter (before the comment
# that opens the appendices), the tests file at the end of the list.
python3 - "$list" "$chapter" "$tests" <<'PY'
import sys
path, chapter, tests = sys.argv[1:]
lines = open(path, encoding="utf-8").read().splitlines()
at = next((i for i, l in enumerate(lines)
           if l.startswith("#") and "ppendi" in l), len(lines))
while at > 0 and not lines[at - 1].strip():
    at -= 1
lines.insert(at, chapter)
lines.append(tests)
with open(path + ".tmp", "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")
import os
os.replace(path + ".tmp", path)
PY
make --no-print-directory -s code
echo "new-chapter: created $chapter, $tests, $fig and code/$slug/; listed both in $list"
echo "new-chapter: next: make && make check CHAPTER=$nn-$slug, then commit chapters/, figures/, code/ and $list"
