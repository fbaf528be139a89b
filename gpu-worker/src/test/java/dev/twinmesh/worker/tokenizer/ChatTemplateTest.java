package dev.twinmesh.worker.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.common.ChatMessage;
import dev.twinmesh.worker.checkpoint.CheckpointException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChatTemplateTest {
  @TempDir Path dir;

  private static final List<ChatMessage> CONVERSATION = List.of(
      ChatMessage.system("You are Ada's twin."),
      ChatMessage.user("  What did I write about retrieval?\n"));

  @Test
  void ourTemplateRendersLlama3Turns() {
    TokenizerFiles.write(dir, ByteLevelBpe.build(1024), 2048);
    ChatTemplate template = ChatTemplate.load(dir);
    assertEquals("<|begin_of_text|>"
            + "<|start_header_id|>system<|end_header_id|>\n\nYou are Ada's twin.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nWhat did I write about retrieval?<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n",
        template.render(CONVERSATION, true));
    assertEquals("<|begin_of_text|>"
            + "<|start_header_id|>system<|end_header_id|>\n\nYou are Ada's twin.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nWhat did I write about retrieval?<|eot_id|>",
        template.render(CONVERSATION, false));
  }

  @Test
  void chatMlTemplateInTheSmolLmStyle() {
    String chatMl = "{% for message in messages %}"
        + "{% if loop.first and messages[0]['role'] != 'system' %}"
        + "{{ '<|im_start|>system\\nYou are a helpful twin.<|im_end|>\\n' }}"
        + "{% endif %}"
        + "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
        + "{% endfor %}"
        + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
    ChatTemplate template = new ChatTemplate(chatMl, null, "<|im_end|>");
    assertEquals("<|im_start|>system\nYou are a helpful twin.<|im_end|>\n"
            + "<|im_start|>user\nHi there<|im_end|>\n"
            + "<|im_start|>assistant\nHello!<|im_end|>\n"
            + "<|im_start|>user\nBye<|im_end|>\n"
            + "<|im_start|>assistant\n",
        template.render(List.of(ChatMessage.user("Hi there"), ChatMessage.assistant("Hello!"),
            ChatMessage.user("Bye")), true));
    assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n",
        template.render(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi")), false));
  }

  @Test
  void blocksOnTheirOwnLinesLeaveNoBlankLines() {
    String multiLine = """
        {% for message in messages %}
            {% if message['role'] == 'user' %}
        Q: {{ message['content'] }}
            {% else %}
        A: {{ message['content'] }}
            {% endif %}
        {% endfor %}
        """;
    ChatTemplate template = new ChatTemplate(multiLine, "", "");
    assertEquals("Q: one\nA: two\n",
        template.render(List.of(ChatMessage.user("one"), ChatMessage.assistant("two")), false));
  }

  @Test
  void raiseExceptionRejectsTheConversation() {
    String strict = "{% if messages[0]['role'] == 'assistant' %}"
        + "{{ raise_exception('Conversations must start with the user') }}{% endif %}"
        + "{% for m in messages %}{{ m['content'] }}{% endfor %}";
    ChatTemplate template = new ChatTemplate(strict, "", "");
    assertEquals("hi", template.render(List.of(ChatMessage.user("hi")), false));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> template.render(List.of(ChatMessage.assistant("hi")), false));
    assertTrue(e.getMessage().contains("Conversations must start with the user"), e.getMessage());
  }

  @Test
  void namedTemplatesChooseDefault() throws IOException {
    Files.writeString(dir.resolve(TokenizerFiles.TOKENIZER_CONFIG), """
        {"bos_token": {"content": "<s>"}, "eos_token": "</s>",
         "chat_template": [
           {"name": "tool_use", "template": "TOOLS"},
           {"name": "default", "template": "{{ bos_token }}{% for m in messages %}[{{ m['role'] }}]{{ m['content'] }}{{ eos_token }}{% endfor %}"}
         ]}""");
    assertEquals("<s>[user]hi</s>", ChatTemplate.load(dir).render(List.of(ChatMessage.user("hi")), true));
  }

  @Test
  void missingTemplateIsACheckpointError() throws IOException {
    Files.writeString(dir.resolve(TokenizerFiles.TOKENIZER_CONFIG), "{\"bos_token\": \"<s>\"}");
    CheckpointException e = assertThrows(CheckpointException.class, () -> ChatTemplate.load(dir));
    assertTrue(e.getMessage().contains("chat_template"), e.getMessage());
  }
}
