"""Running a model, below the agent: loading through mlx-lm (:mod:`.mlx_api`), OpenBLAS for
MLX's CPU matmuls (:mod:`.openblas`, before MLX loads), weight hashing (:mod:`.hashing`),
reading GGUF files and their tokenizers (:mod:`.gguf`, :mod:`.tokenizer`, :mod:`.chat_template`)
and constrained decoding (:mod:`.constrained`, :mod:`.code_constraint`, :mod:`.program_shape`).

Nothing heavy is imported here, so :mod:`.openblas` can run before MLX loads.
"""
