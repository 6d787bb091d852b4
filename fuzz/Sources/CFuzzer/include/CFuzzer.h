#ifndef CFUZZER_H
#define CFUZZER_H
#include <stddef.h>
#include <stdint.h>

// libFuzzer's entry for programs with their own main (SwiftPM gives every executable target one). Provided by
// the libFuzzer runtime that -sanitize=fuzzer links in.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

// libFuzzer's own mutation, for a custom mutator (LLVMFuzzerCustomMutator) that post-processes its result.
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

#endif
