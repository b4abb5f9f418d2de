/* Tuyến: the live unread-notification badge in the site header. No build step, no library.
 *
 * A small client of graphql-transport-ws (docs/realtime-protocol.md) on this site's origin:
 * the browser sends the session cookie with the handshake, so connection_init carries no
 * token. After the ack it subscribes to notificationAdded and then asks for the current
 * count, in that order: the server reads the subscription first, so no notification can fall
 * between the two. It pings every 30 s, drops a socket that stops answering and reconnects
 * with exponential backoff and jitter; after a reconnect it asks for the count again.
 *
 * The badge link carries data-state: connecting, live (subscribed and counted), waiting (to
 * reconnect) or closed (given up: signed out or refused). While the server's realtime layer is
 * down (error REALTIME_UNAVAILABLE) it keeps backing off and retrying.
 */
(function () {
  "use strict";

  var link = document.querySelector("[data-notification-badge]");
  if (!link || !("WebSocket" in window)) return;
  var badge = link.querySelector(".count");

  var SUBPROTOCOL = "graphql-transport-ws";
  var SUBSCRIPTION = "subscription { notificationAdded { unreadCount } }";
  var COUNT_QUERY = "query { unreadNotificationCount }";
  var PING_EVERY = 30000;
  var PONG_WITHIN = 10000;
  var FIRST_DELAY = 1000;
  var MAX_DELAY = 30000;
  // Closed for good: bad message, subscribe before ack, no valid session (signed out),
  // subprotocol refused, duplicate id, second init. Retrying would only repeat it.
  var FINAL_CLOSE_CODES = [4400, 4401, 4403, 4406, 4409, 4429];

  var socket = null;
  var attempt = 0;
  var retryTimer = null;
  var pingTimer = null;
  var pongTimer = null;
  var stopped = false;

  function setState(state) {
    link.setAttribute("data-state", state);
  }

  function show(count) {
    badge.textContent = String(count);
    badge.hidden = count < 1;
    link.setAttribute("data-unread", String(count));
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function socketUrl() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + window.location.host + (link.getAttribute("data-socket-path") || "/graphql/");
  }

  function clearTimers() {
    clearInterval(pingTimer);
    clearTimeout(pongTimer);
    pingTimer = pongTimer = null;
  }

  function connect() {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (stopped || socket) return;
    setState("connecting");
    var current = new WebSocket(socketUrl(), SUBPROTOCOL);
    socket = current;
    current.onopen = function () {
      send({ type: "connection_init", payload: {} });
    };
    current.onmessage = function (event) {
      if (current === socket) receive(event.data);
    };
    current.onclose = function (event) {
      if (current === socket) closed(event.code);
    };
  }

  function keepAlive() {
    clearTimers();
    pingTimer = setInterval(function () {
      send({ type: "ping" });
      if (!pongTimer) {
        pongTimer = setTimeout(function () {
          if (socket) socket.close(4000, "No pong"); // a dead connection: start over
        }, PONG_WITHIN);
      }
    }, PING_EVERY);
  }

  function receive(text) {
    var message;
    try {
      message = JSON.parse(text);
    } catch (error) {
      return;
    }
    var data = message.payload && message.payload.data;
    switch (message.type) {
      case "connection_ack":
        send({ id: "badge", type: "subscribe", payload: { query: SUBSCRIPTION } });
        send({ id: "count", type: "subscribe", payload: { query: COUNT_QUERY } });
        keepAlive();
        break;
      case "next":
        if (!data) break;
        if (message.id === "badge" && data.notificationAdded) {
          show(data.notificationAdded.unreadCount);
        } else if (message.id === "count" && typeof data.unreadNotificationCount === "number") {
          show(data.unreadNotificationCount);
          attempt = 0; // live again: the next failure starts the backoff afresh
          setState("live");
        }
        break;
      case "complete":
        // The server ended the subscription itself (its channel layer failed): start over.
        if (message.id === "badge" && socket) socket.close(1000, "Resubscribe");
        break;
      case "error":
        if (message.id !== "badge") break;
        // Realtime is down for now (Redis): back off and try again. Any other refusal (e.g.
        // the session ended) would only repeat.
        if (realtimeUnavailable(message.payload)) {
          if (socket) socket.close(1000, "Realtime unavailable");
        } else {
          stop();
        }
        break;
      case "ping":
        send({ type: "pong" });
        break;
      case "pong":
        clearTimeout(pongTimer);
        pongTimer = null;
        break;
    }
  }

  function realtimeUnavailable(errors) {
    return (errors || []).some(function (error) {
      return error && error.extensions && error.extensions.code === "REALTIME_UNAVAILABLE";
    });
  }

  function closed(code) {
    clearTimers();
    socket = null;
    if (stopped || FINAL_CLOSE_CODES.indexOf(code) !== -1) {
      stopped = true;
      setState("closed");
      return;
    }
    var delay = Math.min(MAX_DELAY, FIRST_DELAY * Math.pow(2, attempt));
    attempt += 1;
    setState("waiting");
    retryTimer = setTimeout(connect, delay * (0.5 + Math.random() / 2));
  }

  function stop() {
    stopped = true;
    clearTimeout(retryTimer);
    if (socket) socket.close(1000, "Done");
  }

  function reconnectNow() {
    if (!stopped && !socket) connect();
  }

  // Back online, or back to the tab: no need to wait out the backoff.
  window.addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") reconnectNow();
  });
  // Leaving the page closes the socket cleanly; a page restored from the back-forward cache
  // connects again and asks for the count afresh.
  window.addEventListener("pagehide", function () {
    if (socket) {
      var leaving = socket;
      socket = null;
      clearTimers();
      leaving.close(1000, "Page hidden");
    }
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) reconnectNow();
  });

  connect();
})();
