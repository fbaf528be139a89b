package dev.twinmesh.worker.model;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a TorchScript module archive, the zip that {@code torch.jit.load} reads, from TorchScript
 * source and the module's initial attributes, so twin-mesh can run its decoder as one scripted call
 * without a Python toolchain: PyTorch compiles the source when it loads the archive.
 *
 * <p>The module holds no tensors of its own (those are handed over by method calls after loading),
 * so the archive is just: {@code version}, the source under {@code code/__torch__.py}, the module
 * object pickled in {@code data.pkl} (its class, then a dict of every declared attribute), and an
 * empty {@code constants.pkl}.
 */
final class TorchScriptArchive {

  /** The newest archive format PyTorch 2.x reads; an older one would rewrite some ops through upgraders. */
  private static final String FORMAT_VERSION = "10";
  private static final String ROOT = "twin_mesh/";

  /** An attribute's initial value: empty lists, and the unboxed scalars TorchScript attributes take. */
  static final List<Object> EMPTY_LIST = List.of();

  private TorchScriptArchive() {}

  /**
   * @param className  the class in {@code source} whose instance the archive holds
   * @param source     TorchScript source of the {@code __torch__} namespace
   * @param attributes every attribute the class declares, with its initial value: Boolean, Long,
   *                   Double or {@link #EMPTY_LIST}, in any order
   */
  static byte[] write(String className, String source, Map<String, Object> attributes) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      stored(zip, ROOT + "version", (FORMAT_VERSION + "\n").getBytes(StandardCharsets.US_ASCII));
      stored(zip, ROOT + "code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
      stored(zip, ROOT + "data.pkl", pickleObject("__torch__", className, attributes));
      stored(zip, ROOT + "constants.pkl", new Pickle().emptyTuple().stop());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** PyTorch's reader maps records straight out of the archive: entries are stored, not deflated. */
  private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
    ZipEntry entry = new ZipEntry(name);
    entry.setMethod(ZipEntry.STORED);
    entry.setSize(data.length);
    entry.setCompressedSize(data.length);
    CRC32 crc = new CRC32();
    crc.update(data);
    entry.setCrc(crc.getValue());
    zip.putNextEntry(entry);
    zip.write(data);
    zip.closeEntry();
  }

  /** GLOBAL module.class, NEWOBJ with no arguments, then BUILD from a dict of its attributes. */
  static byte[] pickleObject(String module, String className, Map<String, Object> attributes) {
    Pickle pickle = new Pickle().global(module, className).emptyTuple().newObject().emptyDict().mark();
    attributes.forEach((name, value) -> pickle.string(name).value(name, value));
    return pickle.setItems().build().stop();
  }

  /** The few opcodes of pickle protocol 2 that a module's initial state needs. */
  private static final class Pickle {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Pickle() {
      out.write(0x80); // PROTO
      out.write(2);
    }

    Pickle global(String module, String name) {
      out.write('c');
      out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
      return this;
    }

    Pickle emptyTuple() {
      out.write(')');
      return this;
    }

    Pickle newObject() {
      out.write(0x81);
      return this;
    }

    Pickle emptyDict() {
      out.write('}');
      return this;
    }

    Pickle mark() {
      out.write('(');
      return this;
    }

    Pickle setItems() {
      out.write('u');
      return this;
    }

    Pickle build() {
      out.write('b');
      return this;
    }

    byte[] stop() {
      out.write('.');
      return out.toByteArray();
    }

    Pickle string(String value) {
      byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
      out.write('X'); // BINUNICODE, little-endian length
      out.writeBytes(ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(utf8.length).array());
      out.writeBytes(utf8);
      return this;
    }

    Pickle value(String name, Object value) {
      if (value instanceof Boolean flag) {
        out.write(flag ? 0x88 : 0x89); // NEWTRUE, NEWFALSE
      } else if (value instanceof Long number) {
        out.write(0x8a); // LONG1: little-endian two's complement in 8 bytes
        out.write(8);
        out.writeBytes(ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(number).array());
      } else if (value instanceof Double number) {
        out.write('G'); // BINFLOAT, big-endian
        out.writeBytes(ByteBuffer.allocate(8).putDouble(number).array());
      } else if (value == EMPTY_LIST) {
        out.write(']');
      } else {
        throw new IllegalArgumentException("attribute " + name + ": cannot pickle " + value);
      }
      return this;
    }
  }
}
