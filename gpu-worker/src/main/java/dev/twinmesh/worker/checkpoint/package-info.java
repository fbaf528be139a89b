/**
 * Hugging Face checkpoint directories, read and written without PyTorch.
 *
 * <p>Reading: {@link dev.twinmesh.worker.checkpoint.ModelConfigs#load} parses config.json and refuses
 * architectures the worker cannot run; {@link dev.twinmesh.worker.checkpoint.Checkpoint#open} maps
 * safetensors files (single or sharded) and converts F32/F16/BF16 tensors to fp32 on request.
 *
 * <p>Writing: {@link dev.twinmesh.worker.checkpoint.RandomCheckpointWriter} produces a complete
 * random-weight checkpoint for a {@link dev.twinmesh.worker.checkpoint.ModelPreset}, the stand-in for a
 * real model wherever none can be downloaded; the tensors stream through
 * {@link dev.twinmesh.worker.checkpoint.CheckpointWriter} in constant memory, whatever the model size.
 */
package dev.twinmesh.worker.checkpoint;
