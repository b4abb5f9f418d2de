/* Tuyến: a small graphql-transport-ws client (docs/realtime-protocol.md). No build step.
 *
 *   var socket = TuyenGraphQLSocket({
 *     path: "/graphql/",
 *     onAck: function () {},            // (re)connected and acknowledged: (re)subscribe here
 *     onState: function (state) {},     // "connecting", "waiting" (to reconnect) or "closed"
 *   });
 *   socket.request(query, variables)                 // Promise of the payload ({data, errors})
 *   socket.subscribe(query, variables, onNext)       // Promise: resolved on complete, rejected
 *                                                    // on error (error.code) or socket loss
 *   socket.keep(query, variables, {  // a subscription kept open: started after every ack
 *     onNext: function (payload) {},
 *     onStart: function (attempt) {},  // just subscribed: follow up (catch up) here; once that
 *                                      // is answered and !attempt.refused, attempt.confirm()
 *     onUnavailable: function () {},   // REALTIME_UNAVAILABLE: subscribed again with backoff
 *     onRefused: function (error) {},  // refused for good (another code): not again
 *     maxDelay: 30000,                 // the longest wait between tries
 *   });
 *   socket.isLive(); socket.stop();
 *
 * The server answers a socket's operations in order, so a refusal of a subscription arrives
 * before the answer to a query sent after it: onStart's follow-up can tell whether it took.
 *
 * On the site's own origin the browser sends the session cookie with the handshake, so
 * connection_init carries no token. Pings every 30 s and drops a socket that stops answering;
 * reconnects with exponential backoff and jitter, at once when the browser comes back online
 * or the tab becomes visible; closes cleanly when the page is hidden.
 */
(function () {
  "use strict";

  var SUBPROTOCOL = "graphql-transport-ws";
  var PING_EVERY = 30000;
  var PONG_WITHIN = 10000;
  var FIRST_DELAY = 1000;
  var MAX_DELAY = 30000;
  // Closed for good: bad message, subscribe before ack, no valid session (signed out),
  // subprotocol refused, duplicate id, second init or flooding. Retrying would only repeat it.
  var FINAL_CLOSE_CODES = [4400, 4401, 4403, 4406, 4409, 4429];

  function operationError(payload) {
    var first = (payload && payload[0]) || {};
    var error = new Error(first.message || "GraphQL error");
    error.code = first.extensions ? first.extensions.code : null;
    return error;
  }

  window.TuyenGraphQLSocket = function (options) {
    var socket = null;
    var live = false;
    var stopped = false;
    var attempt = 0;
    var nextId = 1;
    var operations = {}; // id -> {resolve, reject, onNext}
    var retryTimer = null;
    var pingTimer = null;
    var pongTimer = null;
    var kept = []; // subscriptions to start after every ack (keep)

    function setState(state) {
      if (options.onState) options.onState(state);
    }

    function send(message) {
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
    }

    function clearTimers() {
      clearInterval(pingTimer);
      clearTimeout(pongTimer);
      pingTimer = pongTimer = null;
    }

    function url() {
      var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      return scheme + window.location.host + options.path;
    }

    function connect() {
      clearTimeout(retryTimer);
      retryTimer = null;
      if (stopped || socket) return;
      setState("connecting");
      var current = new WebSocket(url(), SUBPROTOCOL);
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

    function settle(id, method, value) {
      var operation = operations[id];
      if (!operation) return;
      delete operations[id];
      operation[method](value);
    }

    function receive(text) {
      var message;
      try {
        message = JSON.parse(text);
      } catch (error) {
        return;
      }
      var operation = message.id && operations[message.id];
      switch (message.type) {
        case "connection_ack":
          attempt = 0;
          live = true;
          keepAlive();
          kept.forEach(run);
          if (options.onAck) options.onAck();
          break;
        case "next":
          if (operation && operation.onNext) operation.onNext(message.payload);
          else settle(message.id, "resolve", message.payload);
          break;
        case "complete":
          settle(message.id, "resolve", null);
          break;
        case "error":
          settle(message.id, "reject", operationError(message.payload));
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

    function failAll() {
      var unanswered = operations;
      operations = {};
      Object.keys(unanswered).forEach(function (id) {
        unanswered[id].reject(new Error("Socket closed"));
      });
    }

    function closed(code) {
      clearTimers();
      idleKept();
      socket = null;
      live = false;
      failAll();
      if (stopped || FINAL_CLOSE_CODES.indexOf(code) !== -1) {
        stop();
        return;
      }
      var delay = Math.min(MAX_DELAY, FIRST_DELAY * Math.pow(2, attempt));
      attempt += 1;
      setState("waiting");
      retryTimer = setTimeout(connect, delay * (0.5 + Math.random() / 2));
    }

    function stop() {
      stopped = true;
      live = false;
      clearTimers();
      idleKept();
      clearTimeout(retryTimer);
      failAll();
      setState("closed");
      if (socket) {
        var leaving = socket;
        socket = null;
        leaving.close(1000, "Done");
      }
    }

    function reconnectNow() {
      if (!stopped && !socket) connect();
    }

    function start(query, variables, onNext) {
      return new Promise(function (resolve, reject) {
        if (!live) {
          reject(new Error("Not connected"));
          return;
        }
        var id = String(nextId);
        nextId += 1;
        operations[id] = { resolve: resolve, reject: reject, onNext: onNext };
        send({ id: id, type: "subscribe", payload: { query: query, variables: variables } });
      });
    }

    // A kept subscription: started again when the server ends it (its channel layer failed),
    // after a backoff while realtime is unavailable, after the next ack when the socket closed.
    function run(subscription) {
      clearTimeout(subscription.timer);
      subscription.timer = null;
      if (!live || subscription.refused) return;
      var handlers = subscription.handlers;
      var attempt = {
        refused: false,
        confirm: function () {
          if (!attempt.refused) subscription.failures = 0; // the next failure backs off afresh
        },
      };
      start(subscription.query, subscription.variables, handlers.onNext).then(
        function () {
          run(subscription);
        },
        function (error) {
          attempt.refused = true;
          if (error.code === "REALTIME_UNAVAILABLE") {
            var longest = handlers.maxDelay || MAX_DELAY;
            var delay = Math.min(longest, FIRST_DELAY * Math.pow(2, subscription.failures));
            subscription.failures += 1;
            subscription.timer = setTimeout(function () {
              run(subscription);
            }, delay * (0.5 + Math.random() / 2));
            if (handlers.onUnavailable) handlers.onUnavailable();
          } else if (error.code) {
            subscription.refused = true;
            if (handlers.onRefused) handlers.onRefused(error);
          }
        }
      );
      if (handlers.onStart) handlers.onStart(attempt);
    }

    function idleKept() {
      kept.forEach(function (subscription) {
        clearTimeout(subscription.timer); // the next ack starts it again
        subscription.timer = null;
      });
    }

    window.addEventListener("online", reconnectNow);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") reconnectNow();
    });
    window.addEventListener("pagehide", function () {
      if (socket) {
        var leaving = socket;
        socket = null;
        live = false;
        clearTimers();
        idleKept();
        failAll();
        leaving.close(1000, "Page hidden");
      }
    });
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) reconnectNow();
    });

    connect();
    return {
      request: function (query, variables) {
        return start(query, variables, null);
      },
      subscribe: start,
      keep: function (query, variables, handlers) {
        var subscription = { query: query, variables: variables, handlers: handlers, failures: 0, timer: null };
        kept.push(subscription);
        run(subscription);
      },
      isLive: function () {
        return live;
      },
      stop: stop,
    };
  };
})();
