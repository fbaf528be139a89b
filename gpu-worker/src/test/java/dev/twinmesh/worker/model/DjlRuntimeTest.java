package dev.twinmesh.worker.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.Test;

class DjlRuntimeTest {

  @Test
  void autoPicksTheFirstGpuWhenThereIsOneElseTheCpu() {
    assertEquals(Device.gpu(0), DjlRuntime.chooseDevice("auto", 2));
    assertEquals(Device.cpu(), DjlRuntime.chooseDevice("auto", 0));
    assertEquals(Device.cpu(), DjlRuntime.chooseDevice("cpu", 2));
    assertEquals(Device.gpu(1), DjlRuntime.chooseDevice("cuda:1", 2));
  }

  @Test
  void askingForAMissingGpuSaysWhy() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> DjlRuntime.chooseDevice("cuda", 0));
    assertTrue(e.getMessage().contains("0 GPU"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> DjlRuntime.chooseDevice("tpu", 0));
  }

  @Test
  void theCpuRuntimeHoldsFp32AndTheRequestedThreads() {
    try (DjlRuntime runtime = DjlRuntime.start(new DjlRuntime.Options("auto", 1))) {
      assertEquals(Device.cpu(), runtime.device());
      assertEquals(DataType.FLOAT32, runtime.weightType());
      assertEquals(1, runtime.intraOpThreads());
    }
  }
}
