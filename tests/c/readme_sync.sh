#!/bin/sh
# Keeps the chat server program printed in ffi/README.md identical to examples/c/chat_server.c.
#   readme_sync.sh --check    exit 1 (and show a diff) when they differ   (run.sh does this)
#   readme_sync.sh --update   rewrite the README block from the example   (make -C examples/c readme)
# The block is the ```c fence between the two marker comments below.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
readme="$root/ffi/README.md"
example="$root/examples/c/chat_server.c"
begin='<!-- BEGIN examples/c/chat_server.c -->'
end='<!-- END examples/c/chat_server.c -->'

grep -qxF "$begin" "$readme" && grep -qxF "$end" "$readme" || {
  echo "readme_sync: $readme lacks the marker lines '$begin' / '$end'" >&2
  exit 1
}

# The README with the block between the markers replaced by the example.
render() {
  awk -v begin="$begin" -v end="$end" -v example="$example" '
    $0 == begin { print; print "```c"; while ((getline line < example) > 0) print line; print "```"; skip = 1; next }
    $0 == end   { skip = 0 }
    !skip       { print }
  ' "$readme"
}

case "${1:---check}" in
  --check)
    tmp=$(mktemp)
    trap 'rm -f "$tmp"' EXIT
    render > "$tmp"
    if ! cmp -s "$tmp" "$readme"; then
      echo "readme_sync: ffi/README.md differs from examples/c/chat_server.c (fix: make -C examples/c readme)" >&2
      diff -u "$readme" "$tmp" >&2 || true
      exit 1
    fi ;;
  --update)
    tmp=$(mktemp)
    render > "$tmp" && cat "$tmp" > "$readme" && rm -f "$tmp" ;;
  *)
    echo "usage: $0 [--check|--update]" >&2
    exit 2 ;;
esac
