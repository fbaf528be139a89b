/**
 * Tokenizers of Llama-family checkpoints.
 *
 * <p>{@link dev.twinmesh.worker.tokenizer.TwinTokenizer} encodes with Hugging Face's own code (DJL) and
 * decodes through {@link dev.twinmesh.worker.tokenizer.TokenDecoder}, which knows each token's exact
 * bytes so that {@link dev.twinmesh.worker.tokenizer.IncrementalDetokenizer} can stream text without
 * ever splitting a character. {@link dev.twinmesh.worker.tokenizer.ChatTemplate} turns chat messages
 * into the prompt the checkpoint's template describes.
 *
 * <p>{@link dev.twinmesh.worker.tokenizer.ByteLevelBpe} and
 * {@link dev.twinmesh.worker.tokenizer.TokenizerFiles} build twin-mesh's own tokenizer for generated
 * checkpoints, sized to the model's vocabulary so every id a random model emits decodes.
 */
package dev.twinmesh.worker.tokenizer;
