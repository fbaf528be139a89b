package dev.twinmesh.worker.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One safetensors file: an 8-byte little-endian header length, a JSON header, then the data section.
 * Every header entry is checked against the file when it is opened, so a bad file fails at load time
 * with its name and the tensor at fault, not later inside the model.
 */
public final class SafetensorsFile implements AutoCloseable {
  /** The reference implementation refuses headers above 100 MB; a larger one means a corrupt length. */
  static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final Path path;
  private final FileChannel channel;
  private final long dataStart;
  private final Map<String, SafetensorsEntry> entries;
  private final Map<String, String> metadata;

  private SafetensorsFile(Path path, FileChannel channel, long dataStart,
                          Map<String, SafetensorsEntry> entries, Map<String, String> metadata) {
    this.path = path;
    this.channel = channel;
    this.dataStart = dataStart;
    this.entries = entries;
    this.metadata = metadata;
  }

  public static SafetensorsFile open(Path path) {
    FileChannel channel;
    try {
      channel = FileChannel.open(path, StandardOpenOption.READ);
    } catch (IOException e) {
      throw new CheckpointException(path, "cannot open: " + e.getMessage(), e);
    }
    try {
      long fileSize = channel.size();
      long headerLength = readHeaderLength(path, channel, fileSize);
      JsonNode header = parseHeader(path, readFully(channel, 8, (int) headerLength));
      long dataStart = 8 + headerLength;
      Map<String, String> metadata = new LinkedHashMap<>();
      Map<String, SafetensorsEntry> entries = parseEntries(path, header, fileSize - dataStart, metadata);
      return new SafetensorsFile(path, channel, dataStart, entries, Collections.unmodifiableMap(metadata));
    } catch (IOException e) {
      closeQuietly(channel);
      throw new CheckpointException(path, "cannot read: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeQuietly(channel);
      throw e;
    }
  }

  public Path path() {
    return path;
  }

  public Map<String, SafetensorsEntry> entries() {
    return entries;
  }

  /** The optional {@code __metadata__} string map, e.g. {"format": "pt"}. */
  public Map<String, String> metadata() {
    return metadata;
  }

  public SafetensorsEntry entry(String name) {
    SafetensorsEntry entry = entries.get(name);
    if (entry == null) {
      throw new CheckpointException(path, "no tensor " + name);
    }
    return entry;
  }

  /**
   * Maps a byte range of one tensor, little-endian. Each call maps only what it asks for, because a
   * whole shard can exceed the 2 GiB a single mapping can hold.
   */
  public ByteBuffer map(String name, long offsetInTensor, int length) {
    SafetensorsEntry entry = entry(name);
    if (offsetInTensor < 0 || length < 0 || offsetInTensor + length > entry.byteSize()) {
      throw new CheckpointException(path, "tensor " + name + ": range outside its data");
    }
    try {
      MappedByteBuffer buffer = channel.map(FileChannel.MapMode.READ_ONLY,
          dataStart + entry.begin() + offsetInTensor, length);
      return buffer.order(ByteOrder.LITTLE_ENDIAN);
    } catch (IOException e) {
      throw new CheckpointException(path, "tensor " + name + ": cannot map: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    closeQuietly(channel);
  }

  private static long readHeaderLength(Path path, FileChannel channel, long fileSize) throws IOException {
    if (fileSize < 8) {
      throw new CheckpointException(path, "truncated: " + fileSize + " bytes, no header length");
    }
    long length = readFully(channel, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (length < 2 || length > MAX_HEADER_BYTES) {
      throw new CheckpointException(path, "header length " + length + " is not sane (corrupt file?)");
    }
    if (length > fileSize - 8) {
      throw new CheckpointException(path, "truncated: header length " + length + " exceeds the file ("
          + fileSize + " bytes)");
    }
    return length;
  }

  private static ByteBuffer readFully(FileChannel channel, long position, int length) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(length);
    while (buffer.hasRemaining()) {
      if (channel.read(buffer, position + buffer.position()) < 0) {
        throw new IOException("unexpected end of file");
      }
    }
    return buffer.flip();
  }

  private static JsonNode parseHeader(Path path, ByteBuffer bytes) {
    String text = new String(bytes.array(), 0, bytes.limit(), StandardCharsets.UTF_8);
    try {
      JsonNode header = MAPPER.readTree(text);
      if (header == null || !header.isObject()) {
        throw new CheckpointException(path, "header is not a JSON object");
      }
      return header;
    } catch (JsonProcessingException e) {
      throw new CheckpointException(path, "header is not valid JSON: " + e.getOriginalMessage(), e);
    }
  }

  private static Map<String, SafetensorsEntry> parseEntries(Path path, JsonNode header, long dataSize,
                                                            Map<String, String> metadata) {
    Map<String, SafetensorsEntry> entries = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> fields = header.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      if (field.getKey().equals("__metadata__")) {
        field.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
      } else {
        entries.put(field.getKey(), parseEntry(path, field.getKey(), field.getValue(), dataSize));
      }
    }
    rejectOverlaps(path, entries);
    return Collections.unmodifiableMap(entries);
  }

  /** Two tensors sharing bytes would silently alias each other's weights; empty tensors own no bytes. */
  private static void rejectOverlaps(Path path, Map<String, SafetensorsEntry> entries) {
    List<SafetensorsEntry> byOffset = new ArrayList<>(entries.values());
    byOffset.removeIf(e -> e.byteSize() == 0);
    byOffset.sort(Comparator.comparingLong(SafetensorsEntry::begin));
    for (int i = 1; i < byOffset.size(); i++) {
      SafetensorsEntry previous = byOffset.get(i - 1);
      SafetensorsEntry current = byOffset.get(i);
      if (current.begin() < previous.end()) {
        throw new CheckpointException(path, "tensor " + current.name() + " overlaps tensor " + previous.name());
      }
    }
  }

  private static SafetensorsEntry parseEntry(Path path, String name, JsonNode node, long dataSize) {
    JsonNode dtype = node.get("dtype");
    JsonNode shapeNode = node.get("shape");
    JsonNode offsets = node.get("data_offsets");
    if (dtype == null || !dtype.isTextual() || shapeNode == null || !shapeNode.isArray()
        || offsets == null || !offsets.isArray() || offsets.size() != 2) {
      throw new CheckpointException(path, "tensor " + name + ": needs dtype, shape and two data_offsets");
    }
    DType type = DType.parse(dtype.asText(), path, name);
    long[] shape = new long[shapeNode.size()];
    for (int i = 0; i < shape.length; i++) {
      JsonNode d = shapeNode.get(i);
      if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
        throw new CheckpointException(path, "tensor " + name + ": bad shape " + shapeNode);
      }
      shape[i] = d.asLong();
    }
    long begin = offsets.get(0).asLong(-1);
    long end = offsets.get(1).asLong(-1);
    if (!offsets.get(0).isIntegralNumber() || !offsets.get(1).isIntegralNumber()
        || begin < 0 || end < begin || end > dataSize) {
      throw new CheckpointException(path, "tensor " + name + ": data_offsets " + offsets
          + " outside the data section (" + dataSize + " bytes)");
    }
    long expected;
    try {
      expected = Math.multiplyExact(Shapes.numel(shape), type.byteSize());
    } catch (ArithmeticException e) {
      throw new CheckpointException(path, "tensor " + name + ": shape " + shapeNode + " overflows");
    }
    if (end - begin != expected) {
      throw new CheckpointException(path, "tensor " + name + ": " + (end - begin) + " bytes but shape "
          + shapeNode + " of " + type + " needs " + expected);
    }
    return new SafetensorsEntry(name, type, shape, begin, end);
  }

  private static void closeQuietly(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // nothing was written through this channel, so there is nothing to lose
    }
  }
}
