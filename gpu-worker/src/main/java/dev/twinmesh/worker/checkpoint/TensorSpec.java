package dev.twinmesh.worker.checkpoint;

import java.util.Arrays;

/** A tensor to be written: its name, stored dtype and shape, known before any data exists. */
public record TensorSpec(String name, DType dtype, long[] shape) {

  public TensorSpec {
    shape = shape.clone();
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  public long numel() {
    return Shapes.numel(shape);
  }

  public long byteSize() {
    return numel() * dtype.byteSize();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorSpec t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return name + " " + dtype + " " + Arrays.toString(shape);
  }
}
