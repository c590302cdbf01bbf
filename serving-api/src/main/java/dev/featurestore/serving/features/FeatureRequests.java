package dev.featurestore.serving.features;

import dev.featurestore.api.DocIds;
import dev.featurestore.serving.web.AcceptQualities;
import dev.featurestore.spring.web.ProblemJson;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API on one connection: routes, checks and answers each request, one at a time in the order
 * they came (pipelined requests wait, and reading pauses meanwhile). A lookup runs on this
 * connection's event loop from the request to the answer. Every error is an RFC 9457 problem
 * document, counted once by kind.
 */
// Netty's write, close and schedule futures: a failed write or close reaches the pipeline
// (exceptionCaught, channelInactive), and a timer's outcome is the future it completes
@SuppressWarnings("FutureReturnValueIgnored")
final class FeatureRequests extends ChannelInboundHandlerAdapter {

  private static final Logger LOG = LoggerFactory.getLogger(FeatureRequests.class);
  static final String ONE = "/v1/features/{docId}";
  static final String BY_QUERY = "/v1/features";
  static final String BATCH = "/v1/features:batchGet";
  static final String OPENAPI = "/openapi.yaml";
  private static final String FEATURES_PREFIX = "/v1/features/";

  private final FeatureService service;
  private final ArrayDeque<Object> waiting = new ArrayDeque<>();
  private Exchange exchange;
  private boolean closing;
  private boolean draining;

  FeatureRequests(FeatureService service) {
    this.service = service;
  }

  /** One request, from its first line to its answer. */
  private static final class Exchange {
    final long startNanos = System.nanoTime();
    final HttpMethod method;
    final boolean keepAlive;
    String route = "UNKNOWN";
    boolean lastReceived;
    boolean answered;

    /** The body of a batch request while it arrives; null when the request needs none. */
    CompositeByteBuf body;

    ScheduledFuture<?> bodyTimeout;
    Runnable onComplete;

    Exchange(HttpRequest request) {
      this.method = request.method();
      this.keepAlive = HttpUtil.isKeepAlive(request);
    }

    /** Frees the body received so far and stops the body timer. */
    void letGo() {
      if (bodyTimeout != null) {
        bodyTimeout.cancel(false);
      }
      if (body != null) {
        body.release();
        body = null;
      }
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (closing) {
      ReferenceCountUtil.release(msg);
    } else if (waiting.isEmpty()
        && (exchange == null || (!exchange.lastReceived && msg instanceof HttpContent))) {
      process(ctx, msg);
    } else {
      // a pipelined request: answered after the one before it, and no more is read meanwhile
      waiting.add(msg);
      ctx.channel().config().setAutoRead(false);
    }
  }

  private void process(ChannelHandlerContext ctx, Object msg) {
    if (exchange != null && !exchange.lastReceived && msg instanceof HttpContent content) {
      bodyPart(ctx, content);
    } else if (exchange == null && msg instanceof HttpRequest request) {
      start(ctx, request);
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  private void start(ChannelHandlerContext ctx, HttpRequest request) {
    exchange = new Exchange(request);
    try {
      if (request.decoderResult().isFailure()) {
        exchange.lastReceived = true;
        Throwable cause = request.decoderResult().cause();
        if (cause instanceof TooLongHttpLineException
            || cause instanceof TooLongHttpHeaderException) {
          answerProblem(
              ctx, 431, "The request line or its headers are longer than the limit", true);
        } else {
          answerProblem(ctx, 400, "The request is not valid HTTP/1.1", true);
        }
        return;
      }
      route(ctx, request);
    } finally {
      if (request instanceof HttpContent content) {
        bodyPart(ctx, content);
      }
    }
  }

  /** Checks what needs no body; a lookup without a body runs when its request has ended. */
  private void route(ChannelHandlerContext ctx, HttpRequest request) {
    String uri = request.uri();
    int query = uri.indexOf('?');
    String path = query < 0 ? uri : uri.substring(0, query);
    HttpMethod method = request.method();
    if (path.equals(OPENAPI)) {
      exchange.route = OPENAPI;
      if (allowed(ctx, method, "GET, HEAD")) {
        exchange.onComplete = () -> answer(ctx, 200, "application/yaml", service.openApi());
      }
      return;
    }
    // before routing: without a key, no path (oddly spelled or not) tells anything
    if (service.apiKeys().required()) {
      String refusal =
          service
              .apiKeys()
              .refusal(
                  request.headers().get(dev.featurestore.serving.web.ApiKeys.HEADER),
                  request.headers().get(HttpHeaderNames.AUTHORIZATION));
      if (refusal != null) {
        FullHttpResponse response = problem(401, "Unauthorized", "unauthorized", refusal, "");
        response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
        answer(ctx, response, "unauthorized", false);
        return;
      }
    }
    boolean one =
        path.startsWith(FEATURES_PREFIX) && path.indexOf('/', FEATURES_PREFIX.length()) < 0;
    boolean byQuery = path.equals(BY_QUERY);
    boolean batch = path.equals(BATCH);
    if (!one && !byQuery && !batch) {
      answerProblem(ctx, 404, "No resource at " + truncated(path), false);
      return;
    }
    exchange.route = one ? ONE : byQuery ? BY_QUERY : BATCH;
    if (!allowed(ctx, method, batch ? "POST" : "GET, HEAD")) {
      return;
    }
    HttpHeaders headers = request.headers();
    AcceptQualities.Choice representation = service.representations().choose(accept(headers));
    if (representation.refusal() != null) {
      answer(
          ctx,
          problem(406, "Not Acceptable", "not-acceptable", representation.refusal(), ""),
          "not_acceptable",
          false);
      return;
    }
    boolean binary = representation.type().equals(FeatureService.BINARY_TYPE);
    Deadline deadline;
    try {
      deadline = service.deadline(headers.get(Deadline.HEADER));
    } catch (Deadline.InvalidDeadlineException e) {
      answerFailure(ctx, e);
      return;
    }
    if (batch) {
      startBody(ctx, request, binary, deadline);
      return;
    }
    String docId;
    try {
      docId = one ? pathSegment(path.substring(FEATURES_PREFIX.length())) : queryDocId(uri, query);
    } catch (IllegalArgumentException e) {
      answerProblem(ctx, 400, e.getMessage(), false);
      return;
    }
    exchange.onComplete = () -> lookUp(ctx, docId, binary, deadline);
  }

  /** Whether {@code method} is one this route has; if not, it is answered here. */
  private boolean allowed(ChannelHandlerContext ctx, HttpMethod method, String allow) {
    boolean supported =
        allow.equals("POST")
            ? method.equals(HttpMethod.POST)
            : method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD);
    if (supported) {
      return true;
    }
    FullHttpResponse response;
    String errorKind = null;
    if (method.equals(HttpMethod.OPTIONS)) {
      response = response(200, null, Unpooled.EMPTY_BUFFER);
    } else {
      errorKind = "method_not_allowed";
      response =
          problem(
              405,
              "Method Not Allowed",
              "method-not-allowed",
              "Method '" + method + "' is not supported here; use " + allow,
              "");
    }
    response.headers().set(HttpHeaderNames.ALLOW, allow);
    answer(ctx, response, errorKind, false);
    return false;
  }

  private void startBody(
      ChannelHandlerContext ctx, HttpRequest request, boolean binary, Deadline deadline) {
    String contentType = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
    if (contentType == null || !isJson(contentType)) {
      answerProblem(
          ctx,
          415,
          "Content-Type '" + contentType + "' is not supported; send application/json",
          true);
      return;
    }
    long declared = HttpUtil.getContentLength(request, -1L);
    if (declared > service.maxRequestBytes()) {
      answerTooLarge(ctx);
      return;
    }
    exchange.body = ctx.alloc().compositeBuffer();
    Exchange current = exchange;
    current.bodyTimeout =
        ctx.executor()
            .schedule(
                () -> {
                  if (exchange == current && !current.lastReceived) {
                    answerProblem(
                        ctx,
                        408,
                        "The request body did not arrive within "
                            + service.bodyTimeoutMillis()
                            + " ms",
                        true);
                  }
                },
                service.bodyTimeoutMillis(),
                TimeUnit.MILLISECONDS);
    exchange.onComplete = () -> batchLookUp(ctx, current, binary, deadline);
  }

  private void bodyPart(ChannelHandlerContext ctx, HttpContent content) {
    Exchange current = exchange;
    try {
      if (content.decoderResult().isFailure()) {
        current.lastReceived = true;
        answerProblem(ctx, 400, "The request body is not valid HTTP/1.1", true);
        return;
      }
      if (current.body != null && !current.answered && content.content().isReadable()) {
        if (current.body.readableBytes() + content.content().readableBytes()
            > service.maxRequestBytes()) {
          current.lastReceived = true;
          answerTooLarge(ctx);
          return;
        }
        current.body.addComponent(true, content.content().retain());
      }
      if (content instanceof LastHttpContent) {
        current.lastReceived = true;
        if (current.bodyTimeout != null) {
          current.bodyTimeout.cancel(false);
        }
        if (!current.answered && current.onComplete != null) {
          current.onComplete.run();
        }
        nextIfDone(ctx);
      }
    } finally {
      content.release();
    }
  }

  private void lookUp(ChannelHandlerContext ctx, String docId, boolean binary, Deadline deadline) {
    CompletableFuture<Optional<ServedFeature>> answer;
    try {
      answer = service.lookup().find(docId, deadline);
    } catch (RuntimeException e) {
      answerFailure(ctx, e);
      return;
    }
    answerWhenDone(
        ctx,
        answer,
        feature -> {
          if (feature.isEmpty()) {
            answer(
                ctx,
                problem(
                    404,
                    "Feature not found",
                    "not-found",
                    "no feature for doc id " + docId,
                    ",\"doc_id\":" + ProblemJson.quoted(docId)),
                "not_found",
                false);
          } else {
            ByteBuf body =
                binary
                    ? FeatureBodies.binary(List.of(docId), Map.of(docId, feature), ctx.alloc())
                    : FeatureBodies.json(docId, feature.get(), ctx.alloc());
            answer(ctx, 200, binary ? FeatureBodies.BINARY : FeatureBodies.JSON, body);
          }
        });
  }

  /**
   * Answers the current request when its lookup completes: with {@code onDone} or, if it failed,
   * with its problem.
   */
  private <T> void answerWhenDone(
      ChannelHandlerContext ctx,
      CompletableFuture<T> lookup,
      java.util.function.Consumer<T> onDone) {
    Exchange current = exchange;
    lookup.whenComplete(
        (value, failure) -> {
          if (exchange != current) {
            // the connection moved on (closed, or the request was answered another way)
            return;
          }
          if (failure != null) {
            answerFailure(ctx, failure);
          } else {
            onDone.accept(value);
          }
        });
  }

  private void batchLookUp(
      ChannelHandlerContext ctx, Exchange current, boolean binary, Deadline deadline) {
    List<String> docIds;
    CompositeByteBuf received = current.body;
    current.body = null;
    try (ByteBufInputStream in = new ByteBufInputStream(received, true)) {
      docIds = service.readBatch(in);
    } catch (IOException | RuntimeException e) {
      LOG.debug("Unreadable batch body: {}", e.toString());
      answer(
          ctx,
          problem(
              400,
              "Unreadable request body",
              "unreadable-body",
              "The body must be JSON like {\"doc_ids\": [\"a\", \"b\"]}",
              ""),
          "bad_request",
          false);
      return;
    }
    CompletableFuture<Map<String, Optional<ServedFeature>>> answers;
    try {
      answers = service.lookup().findAll(docIds, deadline);
    } catch (RuntimeException e) {
      answerFailure(ctx, e);
      return;
    }
    answerWhenDone(
        ctx,
        answers,
        found -> {
          ByteBuf body =
              binary
                  ? FeatureBodies.binary(docIds, found, ctx.alloc())
                  : FeatureBodies.jsonBatch(docIds, found, ctx.alloc());
          answer(ctx, 200, binary ? FeatureBodies.BINARY : FeatureBodies.JSON, body);
        });
  }

  /** The answer to a failed lookup or a request it refused. */
  private void answerFailure(ChannelHandlerContext ctx, Throwable failure) {
    Throwable cause =
        failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    if (cause instanceof FeatureLookup.OnlineStoreUnavailableException unavailable) {
      String kind = unavailable.kind().tag();
      FullHttpResponse response =
          problem(
              503,
              "Online store unavailable",
              kind.replace('_', '-'),
              unavailable.getMessage(),
              ",\"reason\":\"" + kind + "\"");
      response.headers().set(HttpHeaderNames.RETRY_AFTER, "1");
      answer(ctx, response, kind, false);
    } else if (cause instanceof DocIds.InvalidDocIdException invalid) {
      answer(
          ctx,
          problem(
              400,
              "Invalid doc id",
              "invalid-doc-id",
              invalid.getMessage(),
              ",\"reason\":" + ProblemJson.quoted(invalid.reason())),
          "invalid_doc_id",
          false);
    } else if (cause instanceof FeatureLookup.InvalidBatchException invalid) {
      StringBuilder members = new StringBuilder();
      if (!invalid.invalidIds().isEmpty()) {
        members.append(",\"invalid_doc_ids\":[");
        for (int i = 0; i < invalid.invalidIds().size(); i++) {
          FeatureLookup.InvalidBatchException.InvalidId id = invalid.invalidIds().get(i);
          members.append(i == 0 ? "" : ",").append("{\"index\":").append(id.index());
          members.append(",\"reason\":").append(ProblemJson.quoted(id.reason())).append('}');
        }
        members.append(']');
      }
      answer(
          ctx,
          problem(400, "Invalid batch", "invalid-batch", invalid.getMessage(), members.toString()),
          "invalid_batch",
          false);
    } else if (cause instanceof Deadline.InvalidDeadlineException invalid) {
      answer(
          ctx,
          problem(400, "Invalid deadline", "invalid-deadline", invalid.getMessage(), ""),
          "invalid_deadline",
          false);
    } else {
      LOG.error("Lookup failed", cause);
      answerProblem(ctx, 500, "The lookup failed; the server's log has the details", true);
    }
  }

  /** A problem with the standard title and type of {@code status}. */
  private void answerProblem(ChannelHandlerContext ctx, int status, String detail, boolean close) {
    byte[] json = ProblemJson.render(status, detail).getBytes(StandardCharsets.UTF_8);
    answer(
        ctx,
        response(status, ProblemJson.MEDIA_TYPE, Unpooled.wrappedBuffer(json)),
        ProblemJson.kind(status),
        close);
  }

  /** A body over {@code max-request-size}, declared or counted: refused, and not read further. */
  private void answerTooLarge(ChannelHandlerContext ctx) {
    String detail =
        "The request body is larger than the limit of " + service.maxRequestBytes() + " bytes";
    answer(
        ctx,
        problem(413, "Request too large", "request-too-large", detail, ""),
        ProblemJson.kind(413),
        true);
  }

  private static FullHttpResponse problem(
      int status, String title, String type, String detail, String members) {
    byte[] json =
        ProblemJson.render(status, title, type, detail, members).getBytes(StandardCharsets.UTF_8);
    return response(status, ProblemJson.MEDIA_TYPE, Unpooled.wrappedBuffer(json));
  }

  private void answer(ChannelHandlerContext ctx, int status, String contentType, ByteBuf body) {
    answer(ctx, response(status, contentType, body), null, false);
  }

  private static FullHttpResponse response(int status, String contentType, ByteBuf body) {
    // headers we set ourselves need no validation; an answer of known length has no trailers
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            io.netty.handler.codec.http.HttpVersion.HTTP_1_1,
            HttpResponseStatus.valueOf(status),
            body,
            new io.netty.handler.codec.http.DefaultHttpHeaders(false),
            io.netty.handler.codec.http.EmptyHttpHeaders.INSTANCE);
    if (contentType != null) {
      response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
    }
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
    return response;
  }

  /** Sends the answer of the current request, counts it, and moves on to the next one. */
  private void answer(
      ChannelHandlerContext ctx, FullHttpResponse response, String errorKind, boolean close) {
    Exchange current = exchange;
    if (current == null || current.answered) {
      response.release();
      return;
    }
    current.answered = true;
    current.letGo();
    boolean keepAlive = current.keepAlive && !close;
    if (current.method.equals(HttpMethod.HEAD)) {
      response.content().clear();
    }
    HttpUtil.setKeepAlive(response, keepAlive);
    int status = response.status().code();
    service.record(current.method, current.route, status, errorKind, current.startNanos);
    if (keepAlive) {
      ctx.writeAndFlush(response, ctx.voidPromise());
      nextIfDone(ctx);
    } else {
      closing = true;
      waiting.forEach(ReferenceCountUtil::release);
      waiting.clear();
      ctx.channel().config().setAutoRead(true);
      io.netty.channel.Channel channel = ctx.channel();
      ctx.writeAndFlush(response).addListener(written -> closeLingering(channel));
    }
  }

  /**
   * Closes after the answer without resetting it: a client may still be sending a body the server
   * refused, and closing a socket with unread input sends a reset that can destroy the answer
   * before the client reads it. So the server stops writing, reads and drops what still comes, and
   * closes when the client does, or 2 s later.
   */
  private static void closeLingering(io.netty.channel.Channel channel) {
    if (channel instanceof io.netty.channel.socket.SocketChannel socket && socket.isActive()) {
      socket
          .shutdownOutput()
          .addListener(
              shut -> channel.eventLoop().schedule(() -> channel.close(), 2, TimeUnit.SECONDS));
    } else {
      channel.close();
    }
  }

  /**
   * Once the current request is answered and wholly read, the pipelined ones after it start, in
   * order; reading resumes when none is left.
   */
  private void nextIfDone(ChannelHandlerContext ctx) {
    if (draining) {
      // a request answered at once while the loop below runs: the loop moves on
      return;
    }
    draining = true;
    try {
      while (!closing && exchange != null && exchange.answered && exchange.lastReceived) {
        exchange = null;
        Object next;
        while (!closing
            && (exchange == null || !exchange.lastReceived)
            && (next = waiting.poll()) != null) {
          process(ctx, next);
        }
      }
    } finally {
      draining = false;
    }
    if (!closing && waiting.isEmpty() && !ctx.channel().config().isAutoRead()) {
      ctx.channel().config().setAutoRead(true);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
    if (event instanceof IdleStateEvent && exchange == null) {
      ctx.close();
    } else {
      super.userEventTriggered(ctx, event);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    if (exchange != null) {
      exchange.letGo();
    }
    waiting.forEach(ReferenceCountUtil::release);
    waiting.clear();
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof TooLongFrameException || cause instanceof IOException) {
      LOG.debug("Closing {}: {}", ctx.channel(), cause.toString());
    } else {
      LOG.warn("Closing {} after an unexpected error", ctx.channel(), cause);
    }
    ctx.close();
  }

  private static String accept(HttpHeaders headers) {
    List<String> values = headers.getAll(HttpHeaderNames.ACCEPT);
    return values.isEmpty() ? null : values.size() == 1 ? values.get(0) : String.join(",", values);
  }

  private static boolean isJson(String contentType) {
    int parameters = contentType.indexOf(';');
    String type = (parameters < 0 ? contentType : contentType.substring(0, parameters)).strip();
    return type.equalsIgnoreCase(HttpHeaderValues.APPLICATION_JSON.toString());
  }

  private static String truncated(String path) {
    return path.length() <= 100 ? path : path.substring(0, 100) + "...";
  }

  /** The doc id of a {@code ?doc_id=} query ({@code +} is a space, as in forms). */
  static String queryDocId(String uri, int query) {
    if (query >= 0) {
      for (String parameter : uri.substring(query + 1).split("&")) {
        if (parameter.startsWith("doc_id=")) {
          return percentDecoded(parameter.substring("doc_id=".length()).replace('+', ' '));
        }
      }
    }
    throw new IllegalArgumentException("Required parameter 'doc_id' is not present");
  }

  /**
   * The id in a path segment: characters RFC 3986 allows there, percent-escapes decoded as UTF-8,
   * so {@code %2F} and {@code %5C} stay inside the id.
   */
  static String pathSegment(String raw) {
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      boolean allowed =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || "-._~!$&'()*+,;=:@%".indexOf(c) >= 0;
      if (!allowed) {
        throw new IllegalArgumentException(
            "The request path holds a character that must be percent-encoded: '" + c + "'");
      }
    }
    if (raw.isEmpty()) {
      throw new IllegalArgumentException("The doc id is empty");
    }
    return percentDecoded(raw);
  }

  private static String percentDecoded(String raw) {
    if (raw.indexOf('%') < 0) {
      return raw;
    }
    ByteBuffer bytes = ByteBuffer.allocate(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%') {
        if (i + 2 >= raw.length()) {
          throw new IllegalArgumentException("The request holds an incomplete percent-escape");
        }
        int high = Character.digit(raw.charAt(i + 1), 16);
        int low = Character.digit(raw.charAt(i + 2), 16);
        if (high < 0 || low < 0) {
          throw new IllegalArgumentException("The request holds an invalid percent-escape");
        }
        bytes.put((byte) (high * 16 + low));
        i += 2;
      } else if (c < 0x80) {
        bytes.put((byte) c);
      } else {
        throw new IllegalArgumentException("The request holds a character that must be escaped");
      }
    }
    bytes.flip();
    try {
      CharBuffer text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(bytes);
      return text.toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("The doc id is not valid UTF-8 once percent-decoded");
    }
  }
}
