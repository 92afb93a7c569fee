#!/bin/sh
# Build the libFuzzer targets (README, "Fuzzing"): core/ compiled again with clang under
# -fsanitize=fuzzer-no-link,address,undefined into OUTDIR/obj, then one binary per target,
# OUTDIR/fuzz_<name>. Apart from the normal build: nothing of `make` or `make check` changes.
#   sh fuzz/build.sh OUTDIR [TARGET...]
# Environment: srcdir (the source tree, default .), FUZZ_CC (default clang),
# FUZZ_CPPFLAGS (the libraries' include flags), FUZZ_LIBS (their link flags).
set -eu
out=${1:?usage: build.sh OUTDIR [TARGET...]}
shift
src=${srcdir:-.}
cc=${FUZZ_CC:-clang}
targets=${*:-$(cat "$src/fuzz/TARGETS")}
command -v "$cc" >/dev/null 2>&1 ||
    { echo "fuzz: $cc not found (apt-get install clang)" >&2; exit 1; }

san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
cflags="-std=c11 -g -O1 -fno-omit-frame-pointer -Wno-unknown-pragmas -Wno-source-uses-openmp"
cflags="$cflags $san"
cppflags="-I$src/core -D_POSIX_C_SOURCE=200809L ${FUZZ_CPPFLAGS:-}"
mkdir -p "$out/obj"

# core/: an object is rebuilt when its source or any header of core/ is newer; only the
# objects of today's sources go into the library.
sources=$(cd "$src" && find core -name '*.c' | sort)
objects=$(echo "$sources" | tr / _ | sed "s|^|$out/obj/|; s|\.c\$|.o|")
newest_h=$(ls -t $(find "$src/core" -name '*.h') | head -n 1)
for c in $sources; do
    o="$out/obj/$(echo "$c" | tr / _ | sed 's/\.c$/.o/')"
    if [ ! -f "$o" ] || [ "$src/$c" -nt "$o" ] || [ "$newest_h" -nt "$o" ]; then
        echo "$c $o"
    fi
done | (export cc cflags cppflags src; xargs -r -n 2 -P "${FUZZ_JOBS:-2}" sh -c \
    'echo "  CC (fuzz) $0"
     $cc $cflags -fsanitize=fuzzer-no-link $cppflags -c "$src/$0" -o "$1"')
rm -f "$out/libbitnet-fuzz.a"
# shellcheck disable=SC2086
ar rcs "$out/libbitnet-fuzz.a" $objects

for t in $targets; do
    echo "  LD (fuzz) $out/fuzz_$t"
    # shellcheck disable=SC2086
    $cc $cflags -fsanitize=fuzzer $cppflags -DBN_FUZZ_TARGET="bn_fuzz_$t" \
        "$src/fuzz/libfuzzer.c" "$src/fuzz/util.c" "$src/fuzz/$t.c" "$out/libbitnet-fuzz.a" \
        ${FUZZ_LIBS:-} -lm -lpthread -o "$out/fuzz_$t"
done
