/* libfuzzer.c - one target as a libFuzzer binary: fuzz/build.sh compiles this file with
 * -DBN_FUZZ_TARGET=bn_fuzz_<name> and links it with that target's file. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    BN_FUZZ_TARGET(data, size); /* libFuzzer wants 0 whatever the loader said */
    return 0;
}
