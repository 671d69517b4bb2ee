/* cli/demo_blob.S - embeds share/demo/demo.json in the binary (read by cli_demo.c),
 * so `mreza init --demo` works from any directory. */
    .section .rodata
    .global mz_demo_json
    .type mz_demo_json, @object
mz_demo_json:
    .incbin "share/demo/demo.json"
    .global mz_demo_json_end
mz_demo_json_end:
    .byte 0
    .section .note.GNU-stack,"",@progbits
