/* Tuyến: a live chat room (the element with data-chat-room). No build step, no library.
 *
 * Speaks graphql-transport-ws through static/js/graphql-ws.js (connection, keep-alive,
 * reconnects: docs/chat-web.md). The page arrives with the latest messages rendered; this
 * script keeps the room current:
 *
 * - after connection_ack it subscribes to roomEvents and only then catches up with
 *   messages(after: lastSeq), so nothing falls between the two;
 * - messages are placed by seq; an event past a gap fetches the gap; duplicates are dropped;
 * - a send gets a clientMessageId when the doctor presses Send and keeps it through retries
 *   (after a reconnect, or over HTTP when the socket is down): the server stores it once;
 * - the server ending the subscription (channel layer failed) resubscribes and catches up;
 *   REALTIME_UNAVAILABLE retries with backoff, catching up by query meanwhile ("degraded").
 *
 * data-state on the room: connecting, live, degraded (live updates interrupted), waiting (to
 * reconnect) or closed (given up: signed out, access lost).
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-chat-room]");
  if (!root || !("WebSocket" in window) || !window.TuyenGraphQLSocket) return;

  var ROOM = root.getAttribute("data-chat-room");
  var log = root.querySelector("[data-chat-log]");
  var form = root.querySelector("[data-chat-composer]");
  var textarea = form.querySelector("textarea");
  var errorBox = root.querySelector("[data-chat-error]");
  var statusBox = root.querySelector("[data-chat-status]");
  var typingBox = root.querySelector("[data-chat-typing]");
  var earlierButton = root.querySelector("[data-chat-earlier]");

  var MESSAGE = "id seq body deleted editedAt sentAt clientMessageId sender { fullName }";
  var PAGE = "messages { " + MESSAGE + " } hasMore lastSeq";
  var ROOM_EVENTS =
    "subscription ($roomId: ID!) { roomEvents(roomId: $roomId) { kind seq message { " + MESSAGE +
    " } doctor { fullName } } }";
  var MESSAGES_AFTER =
    "query ($roomId: ID!, $after: Int) { messages(roomId: $roomId, after: $after, first: 100) { " + PAGE + " } }";
  var MESSAGES_BEFORE =
    "query ($roomId: ID!, $before: Int) { messages(roomId: $roomId, before: $before, first: 50) { " + PAGE + " } }";
  var SEND =
    "mutation ($input: SendMessageInput!) { sendMessage(input: $input) { message { " + MESSAGE +
    " } delivery errors { field code message spans { text } } } }";
  var MARK_READ = "mutation ($roomId: ID!, $seq: Int!) { markRead(roomId: $roomId, seq: $seq) { errors { code } } }";
  var TYPING = "mutation ($roomId: ID!) { typing(roomId: $roomId) { errors { code } } }";

  // While live updates are down: the longest wait before trying again (catching up by query
  // each time).
  var RESUBSCRIBE_WITHIN = 8000;
  var TYPING_EVERY = 3000;
  var TYPING_SHOWN = 5000;

  var socket = null; // TuyenGraphQLSocket (static/js/graphql-ws.js), started at the end
  var typingTimer = null;
  var readTimer = null;
  var catchingUp = null;
  var lastTypingSent = 0;
  var readSeq = 0;
  var pending = {}; // clientMessageId -> {body, item}

  // --- What the room holds -----------------------------------------------------------------

  function heldItems() {
    return log.querySelectorAll("[data-seq]");
  }

  function lastSeq() {
    // The highest seq held without a gap before it: what catch-up resumes after.
    var items = heldItems();
    var last = items.length ? Number(items[0].getAttribute("data-seq")) - 1 : Number(root.getAttribute("data-shown-seq"));
    for (var i = 0; i < items.length; i += 1) {
      var seq = Number(items[i].getAttribute("data-seq"));
      if (seq > last + 1) break;
      last = seq;
    }
    return last;
  }

  function highestSeq() {
    var items = heldItems();
    return items.length ? Number(items[items.length - 1].getAttribute("data-seq")) : lastSeq();
  }

  function firstSeq() {
    var items = heldItems();
    return items.length ? Number(items[0].getAttribute("data-seq")) : 0;
  }

  function fill(item, message) {
    item.textContent = "";
    item.className = "chat-message" + (message.clientMessageId ? " mine" : "");
    var sender = document.createElement("span");
    sender.className = "chat-sender";
    sender.textContent = message.sender.fullName;
    var time = document.createElement("time");
    time.setAttribute("datetime", message.sentAt);
    time.textContent = new Date(message.sentAt).toLocaleString([], { dateStyle: "short", timeStyle: "short" });
    var body = document.createElement("p");
    body.className = "chat-body" + (message.deleted ? " deleted" : "");
    body.textContent = message.deleted ? root.getAttribute("data-text-deleted") : message.body;
    item.appendChild(sender);
    item.appendChild(document.createTextNode(" "));
    item.appendChild(time);
    item.appendChild(body);
    if (message.editedAt && !message.deleted) {
      var edited = document.createElement("span");
      edited.className = "chat-edited small muted";
      edited.textContent = root.getAttribute("data-text-edited");
      item.appendChild(edited);
    }
  }

  function place(message) {
    // Insert or update the message at its seq; drop what the room already shows.
    var existing = log.querySelector('[data-seq="' + message.seq + '"]');
    var settled = message.clientMessageId && pending[message.clientMessageId];
    if (settled) {
      settled.item.remove();
      delete pending[message.clientMessageId];
    }
    if (existing) {
      fill(existing, message);
      return;
    }
    var empty = log.querySelector("[data-chat-empty]");
    if (empty) empty.remove();
    var item = document.createElement("li");
    item.setAttribute("data-seq", String(message.seq));
    fill(item, message);
    var items = heldItems();
    var before = null;
    for (var i = items.length - 1; i >= 0; i -= 1) {
      if (Number(items[i].getAttribute("data-seq")) < message.seq) break;
      before = items[i];
    }
    // Messages being sent stay last, below everything stored.
    log.insertBefore(item, before || log.querySelector(".chat-message.pending"));
  }

  function placePage(page) {
    page.messages.forEach(place);
    scrollDown();
    markReadSoon();
    return page;
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  // --- Operations: over the socket when it is up, else over HTTP ----------------------------

  function csrfToken() {
    var field = form.querySelector('input[name="csrfmiddlewaretoken"]');
    return field ? field.value : "";
  }

  function overHttp(query, variables) {
    return fetch(root.getAttribute("data-graphql-path"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ query: query, variables: variables }),
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    });
  }

  function run(query, variables) {
    // One answer: its payload ({data, errors}); rejected if the socket drops on the way.
    var result = socket.isLive() ? socket.request(query, variables) : overHttp(query, variables);
    return result.then(function (payload) {
      if (payload.errors && payload.errors.length) {
        var error = new Error(payload.errors[0].message);
        error.code = payload.errors[0].extensions && payload.errors[0].extensions.code;
        throw error;
      }
      return payload.data;
    });
  }

  // --- Catching up, scrolling back, read receipts, typing ------------------------------------

  function catchUp() {
    // One at a time; a request while one runs starts another after it.
    if (catchingUp) {
      catchingUp.again = true;
      return catchingUp.promise;
    }
    var state = { again: false };
    function loop() {
      return run(MESSAGES_AFTER, { roomId: ROOM, after: lastSeq() }).then(function (data) {
        placePage(data.messages);
        if (data.messages.hasMore || state.again) {
          state.again = false;
          return loop();
        }
      });
    }
    state.promise = loop().then(
      function () {
        catchingUp = null;
      },
      function (error) {
        catchingUp = null;
        if (error.code === "NOT_FOUND") socket.stop();
      }
    );
    catchingUp = state;
    return state.promise;
  }

  function showEarlier() {
    earlierButton.disabled = true;
    run(MESSAGES_BEFORE, { roomId: ROOM, before: firstSeq() }).then(
      function (data) {
        var height = log.scrollHeight;
        data.messages.messages.forEach(place);
        log.scrollTop += log.scrollHeight - height;
        earlierButton.disabled = false;
        earlierButton.hidden = !data.messages.hasMore;
      },
      function () {
        earlierButton.disabled = false;
      }
    );
  }

  function markReadSoon() {
    clearTimeout(readTimer);
    readTimer = setTimeout(function () {
      var seq = highestSeq();
      if (document.visibilityState !== "visible" || seq <= readSeq) return;
      readSeq = seq;
      run(MARK_READ, { roomId: ROOM, seq: seq }).then(
        function () {
          root.setAttribute("data-read-seq", String(seq));
        },
        function () {
          readSeq = 0; // try again with the next message
        }
      );
    }, 1000);
  }

  function showTyping(name) {
    typingBox.textContent = root.getAttribute("data-text-typing").replace("%(name)s", name);
    typingBox.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () {
      typingBox.hidden = true;
    }, TYPING_SHOWN);
  }

  function typed() {
    var now = Date.now();
    if (!socket.isLive() || now - lastTypingSent < TYPING_EVERY) return;
    lastTypingSent = now;
    run(TYPING, { roomId: ROOM }).catch(function () {});
  }

  // --- Sending ------------------------------------------------------------------------------

  function newClientMessageId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return "web-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = !text;
  }

  function deliver(clientMessageId) {
    var entry = pending[clientMessageId];
    if (!entry || entry.inFlight) return;
    entry.inFlight = true;
    entry.item.querySelector(".chat-note").textContent = root.getAttribute("data-text-sending");
    var input = { roomId: ROOM, body: entry.body, clientMessageId: clientMessageId };
    run(SEND, { input: input }).then(
      function (data) {
        var result = data.sendMessage;
        entry.inFlight = false;
        if (result.errors.length) {
          // Refused (nothing stored): give the text back to fix it.
          delete pending[clientMessageId];
          entry.item.remove();
          var problem = result.errors[0];
          var spans = (problem.spans || []).map(function (span) {
            return "«" + span.text + "»";
          });
          showError(problem.message + (spans.length ? " " + spans.join(", ") : ""));
          if (!textarea.value) textarea.value = entry.body;
          return;
        }
        place(result.message);
        scrollDown();
        if (result.message.seq > lastSeq()) catchUp();
      },
      function () {
        // Not answered (socket dropped, offline): kept, and sent again with the same id.
        entry.inFlight = false;
        entry.item.querySelector(".chat-note").textContent = root.getAttribute("data-text-not-sent");
      }
    );
  }

  function submit(event) {
    event.preventDefault();
    var body = textarea.value.trim();
    if (!body) return;
    showError("");
    var clientMessageId = newClientMessageId();
    var item = document.createElement("li");
    item.className = "chat-message mine pending";
    item.setAttribute("data-client-message-id", clientMessageId);
    var text = document.createElement("p");
    text.className = "chat-body";
    text.textContent = body;
    var note = document.createElement("span");
    note.className = "chat-note small muted";
    item.appendChild(text);
    item.appendChild(note);
    var empty = log.querySelector("[data-chat-empty]");
    if (empty) empty.remove();
    log.appendChild(item);
    scrollDown();
    pending[clientMessageId] = { body: body, item: item, inFlight: false };
    textarea.value = "";
    deliver(clientMessageId);
  }

  function deliverPending() {
    Object.keys(pending).forEach(deliver);
  }

  // --- Live events -------------------------------------------------------------------------

  function setState(state) {
    root.setAttribute("data-state", state);
    statusBox.textContent = root.getAttribute("data-text-" + state) || "";
  }

  function caughtUp(attempt) {
    // Subscribed first, then caught up: the server joins the room's group before it reads on,
    // and answers in order, so a refusal of the subscription comes before this answer.
    catchUp().then(function () {
      if (socket.isLive() && !attempt.refused) {
        attempt.confirm();
        setState("live");
      }
    });
  }

  function onEvent(payload) {
    var event = payload.data && payload.data.roomEvents;
    if (!event) return;
    if (event.message) {
      var gap = event.message.seq > lastSeq() + 1;
      place(event.message);
      scrollDown();
      markReadSoon();
      if (gap) catchUp(); // the channel layer dropped something: fetch what is missing
    } else if (event.kind === "TYPING" && event.doctor) {
      showTyping(event.doctor.fullName);
    }
  }

  form.addEventListener("submit", submit);
  textarea.addEventListener("input", typed);
  textarea.addEventListener("keydown", function (event) {
    // Enter sends; Shift+Enter starts a new line.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) submit(event);
  });
  if (earlierButton) earlierButton.addEventListener("click", showEarlier);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") markReadSoon();
  });

  scrollDown();
  markReadSoon();
  socket = window.TuyenGraphQLSocket({
    path: root.getAttribute("data-socket-path"),
    onAck: deliverPending, // after the room's subscription has started again
    onState: setState,
  });
  socket.keep(ROOM_EVENTS, { roomId: ROOM }, {
    onNext: onEvent,
    onStart: caughtUp,
    onUnavailable: function () {
      // Live updates are down (Redis); the socket still works: keep catching up by query.
      setState("degraded");
      catchUp();
    },
    onRefused: function () {
      socket.stop(); // refused for good (e.g. the doctor lost access to the room)
    },
    maxDelay: RESUBSCRIBE_WITHIN,
  });
})();
