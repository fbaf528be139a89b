package dev.twinmesh.worker.checkpoint;

import java.nio.file.Path;

/** A checkpoint that cannot be loaded; the message names the file and, where known, the field or tensor. */
public class CheckpointException extends RuntimeException {
  public CheckpointException(Path file, String what) {
    super(file + ": " + what);
  }

  public CheckpointException(Path file, String what, Throwable cause) {
    super(file + ": " + what, cause);
  }
}
