package dev.twinmesh.worker.engine;

/** Lets a request's owner cancel it; the sequence leaves at the next engine step and frees its cache. */
public interface GenerationHandle {
  void cancel();
}
