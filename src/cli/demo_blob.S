/* cli/demo_blob.S - embeds share/demo/demo.json in the binary (read by cli_demo.c),
 * so `mreza init --demo` works from any directory. The Makefile passes the file's
 * absolute path as MZ_DEMO_JSON, so that this assembles whatever the working
 * directory (make -C, out-of-tree BUILD dirs). */
#ifndef MZ_DEMO_JSON
#define MZ_DEMO_JSON "share/demo/demo.json"
#endif
    .section .rodata
    .global mz_demo_json
    .type mz_demo_json, @object
mz_demo_json:
    .incbin MZ_DEMO_JSON
    .global mz_demo_json_end
mz_demo_json_end:
    .byte 0
    .section .note.GNU-stack,"",@progbits
