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
  var RESUBSCRIBE_WITHIN = 30000; // the longest wait between tries while realtime is down

  var socket = null;

  function setState(state) {
    link.setAttribute("data-state", state);
  }

  function show(count) {
    badge.textContent = String(count);
    badge.hidden = count < 1;
    link.setAttribute("data-unread", String(count));
  }

  function count(attempt) {
    // Asked after subscribing: a refusal of the subscription comes before this answer.
    socket.request(COUNT_QUERY).then(
      function (payload) {
        var data = payload && payload.data;
        if (attempt.refused || !data || typeof data.unreadNotificationCount !== "number") return;
        show(data.unreadNotificationCount);
        attempt.confirm();
        setState("live");
      },
      function () {} // the socket closed: it reconnects and asks again after its ack
    );
  }

  socket = window.TuyenGraphQLSocket({
    path: link.getAttribute("data-socket-path") || "/graphql/",
    onState: setState,
  });
  socket.keep(SUBSCRIPTION, null, {
    onNext: function (payload) {
      var data = payload && payload.data;
      if (data && data.notificationAdded) show(data.notificationAdded.unreadCount);
    },
    onStart: count,
    onUnavailable: function () {
      setState("waiting"); // realtime is down for now (Redis): subscribed again with backoff
    },
    onRefused: function () {
      socket.stop(); // any other refusal (e.g. the session ended) would only repeat
    },
    maxDelay: RESUBSCRIBE_WITHIN,
  });
})();
