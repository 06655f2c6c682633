{
  "targets": [
    {
      "target_name": "aes_gcm",
      "sources": ["aes_gcm.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "file_times",
      "sources": ["file_times.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "copy_bytes",
      "sources": ["copy_bytes.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "stat_batch",
      "sources": ["stat_batch.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "scrypt_romix",
      "sources": ["scrypt_romix.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
