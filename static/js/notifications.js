/* Tuyến: the live unread-notification badge in the site header. No build step, no library.
 *
 * Speaks graphql-transport-ws through static/js/graphql-ws.js (connection, keep-alive,
 * reconnect with backoff; docs/realtime-protocol.md). After each ack it subscribes to
 * notificationAdded and then asks for the current count, in that order: the server reads the
 * subscription first, so no notification can fall between the two.
 *
 * The badge link carries data-state: connecting, live (subscribed and counted), waiting (to
 * reconnect, or to subscribe again while the server's realtime layer is down: error
 * REALTIME_UNAVAILABLE, retried with backoff) or closed (given up: signed out or refused).
 */
(function () {
  "use strict";

  var link = document.querySelector("[data-notification-badge]");
  if (!link || !("WebSocket" in window) || !window.TuyenGraphQLSocket) return;
  var badge = link.querySelector(".count");

  var SUBSCRIPTION = "subscription { notificationAdded { unreadCount } }";
  var COUNT_QUERY = "query { unreadNotificationCount }";
  var RESUBSCRIBE_DELAY = [1000, 30000]; // first wait, longest

  var socket = null;
  var resubscribeTimer = null;
  var subscribeAttempt = 0;

  function setState(state) {
    link.setAttribute("data-state", state);
  }

  function show(count) {
    badge.textContent = String(count);
    badge.hidden = count < 1;
    link.setAttribute("data-unread", String(count));
  }

  function subscribe() {
    clearTimeout(resubscribeTimer);
    resubscribeTimer = null;
    var refused = false;
    socket.subscribe(SUBSCRIPTION, null, function (payload) {
      var data = payload && payload.data;
      if (data && data.notificationAdded) show(data.notificationAdded.unreadCount);
    }).then(
      function () {
        // The server ended the subscription itself (its channel layer failed): start again.
        if (socket.isLive()) subscribe();
      },
      function (error) {
        refused = true;
        if (error.code === "REALTIME_UNAVAILABLE") {
          // Realtime is down for now (Redis): back off and subscribe again.
          setState("waiting");
          var delay = Math.min(RESUBSCRIBE_DELAY[1], RESUBSCRIBE_DELAY[0] * Math.pow(2, subscribeAttempt));
          subscribeAttempt += 1;
          resubscribeTimer = setTimeout(function () {
            if (socket.isLive()) subscribe();
          }, delay * (0.5 + Math.random() / 2));
        } else if (error.code) {
          socket.stop(); // any other refusal (e.g. the session ended) would only repeat
        }
      }
    );
    // The server answers in order: a refusal of the subscription comes before this answer.
    socket.request(COUNT_QUERY).then(
      function (payload) {
        var data = payload && payload.data;
        if (refused || !data || typeof data.unreadNotificationCount !== "number") return;
        show(data.unreadNotificationCount);
        subscribeAttempt = 0; // live again: the next failure starts the backoff afresh
        setState("live");
      },
      function () {} // the socket closed: it reconnects and asks again after its ack
    );
  }

  socket = window.TuyenGraphQLSocket({
    path: link.getAttribute("data-socket-path") || "/graphql/",
    onAck: subscribe,
    onState: function (state) {
      clearTimeout(resubscribeTimer); // a new connection subscribes again after its ack
      setState(state);
    },
  });
})();
