package dev.twinmesh.worker.checkpoint;

/**
 * One tensor in a safetensors header.
 *
 * @param begin offset of the first byte, relative to the start of the data section
 * @param end   offset one past the last byte, relative to the start of the data section
 */
public record SafetensorsEntry(String name, DType dtype, long[] shape, long begin, long end) {

  public SafetensorsEntry {
    shape = shape.clone();
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  public long byteSize() {
    return end - begin;
  }

  public long numel() {
    return Shapes.numel(shape);
  }
}
