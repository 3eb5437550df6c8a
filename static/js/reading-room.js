// Reading room: chat over the reading's WebSocket, live timer and balance, engine events,
// and Agora voice/video when the page offers it. Also ticks [data-countdown] elements
// (waiting screen, reader desk). Plain ES2017, no build step.
(function () {
  "use strict";

  // Countdowns ----------------------------------------------------------------------------------
  function tickCountdowns() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var until = Date.parse(el.getAttribute("data-countdown"));
      if (isNaN(until)) return;
      el.textContent = String(Math.max(0, Math.round((until - now) / 1000)));
    });
  }
  window.setInterval(tickCountdowns, 1000);
  document.addEventListener("DOMContentLoaded", tickCountdowns);

  var room = document.getElementById("reading-room");
  if (!room) return;

  var role = room.dataset.role;
  var otherName = room.dataset.otherName;
  var rateCents = parseInt(room.dataset.rateCents, 10) || 0;
  var summaryUrl = room.dataset.summaryUrl;
  var $ = function (id) { return document.getElementById(id); };
  var log = $("chat-log");
  var input = $("chat-input");
  var form = $("chat-form");
  var typingEl = $("typing");
  var errorEl = $("chat-error");

  var state = room.dataset.state;
  var servedSeconds = 0;
  var lastTick = Date.now();
  var startMinutesLeft = null;
  var socket = null;
  var retries = 0;
  var ended = false;

  function money(cents) {
    return "$" + (cents / 100).toFixed(2);
  }

  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    return h ? h + ":" + pad(m) + ":" + pad(s) : pad(m) + ":" + pad(s);
  }

  // Timer: counts served time while the reading is active.
  var lastAnnouncedMinute = -1;
  window.setInterval(function () {
    var now = Date.now();
    if (state === "active") servedSeconds += (now - lastTick) / 1000;
    lastTick = now;
    $("room-timer").textContent = clock(servedSeconds);
    var minute = Math.floor(servedSeconds / 60);
    if (minute !== lastAnnouncedMinute && minute > 0) {
      lastAnnouncedMinute = minute;
      $("room-minute-announce").textContent = minute + " minute" + (minute === 1 ? "" : "s") + " in session.";
    }
  }, 250);

  var stateLabels = {
    accepted: role === "client" ? "Waiting for the reader to join" : "Waiting for the client to join",
    active: "In session",
    paused: "Paused, reconnecting…",
    ended: "Reading ended",
  };

  function setState(next) {
    state = next;
    room.dataset.state = next;
    $("room-state").textContent = stateLabels[next] || next;
    if (next === "active" || next === "paused") {
      $("end-form").classList.remove("hidden");
      if ($("cancel-form")) $("cancel-form").classList.add("hidden");
    }
  }

  function setMeter(data) {
    if (typeof data.total_cents === "number" && $("room-cost")) {
      $("room-cost").textContent = money(data.total_cents);
    }
    if (typeof data.balance_cents === "number" && $("room-balance")) {
      $("room-balance").textContent = money(data.balance_cents);
    }
    if (typeof data.minutes_left === "number") {
      $("room-minutes-left").textContent = data.minutes_left;
      if (startMinutesLeft === null || data.minutes_left > startMinutesLeft) startMinutesLeft = Math.max(data.minutes_left, 1);
      var pct = Math.max(0, Math.min(100, (data.minutes_left / startMinutesLeft) * 100));
      var bar = $("room-balance-bar");
      bar.style.width = pct + "%";
      bar.classList.toggle("bg-amber-500", data.minutes_left < 2);
      bar.classList.toggle("bg-accent-600", data.minutes_left >= 2);
      if (data.minutes_left >= 2) $("low-balance").classList.add("hidden");
    }
  }

  function setPresence(p) {
    var other = role === "client" ? p.reader : p.client;
    $("room-presence").textContent = other ? otherName + " is here" : otherName + " is not connected";
  }

  // Chat ---------------------------------------------------------------------------------------
  function addMessage(frame) {
    if (frame.id && log.querySelector('[data-id="' + frame.id + '"]')) return;
    var empty = $("chat-empty");
    if (empty) empty.remove();
    var mine = frame.sender === role;
    var li = document.createElement("li");
    li.className = "chat-msg flex" + (mine ? " justify-end" : "");
    if (frame.id) li.dataset.id = frame.id;
    var bubble = document.createElement("div");
    bubble.className = "max-w-[85%] rounded-2xl px-4 py-2 " + (mine ? "bg-accent-600 text-white" : "bg-cream-100 text-slate-900");
    var p = document.createElement("p");
    p.className = "whitespace-pre-wrap break-words";
    p.textContent = frame.text; // never innerHTML: messages are user input
    bubble.appendChild(p);
    li.appendChild(bubble);
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
    if (!mine) typingEl.textContent = "";
  }

  function showError(message) {
    errorEl.textContent = message;
    errorEl.classList.toggle("hidden", !message);
  }

  var typingTimer = null;
  function showTyping() {
    typingEl.textContent = otherName + " is typing…";
    window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(function () { typingEl.textContent = ""; }, 4000);
  }

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  // Characters as the server counts them (code points of the trimmed text), so an emoji counts
  // once here as it does there.
  var maxLength = parseInt(input.dataset.maxLength, 10) || 2000;
  var countEl = $("chat-count");
  var sendButton = form.querySelector("button[type=submit]");
  function messageLength() {
    return Array.from(input.value.trim()).length;
  }
  function updateCount() {
    var length = messageLength();
    var over = length - maxLength;
    countEl.textContent = length.toLocaleString("en-US") + " / " + maxLength.toLocaleString("en-US");
    countEl.classList.toggle("text-rose-700", over > 0);
    countEl.classList.toggle("font-medium", over > 0);
    countEl.classList.toggle("text-slate-600", over <= 0);
    sendButton.disabled = over > 0;
    if (over > 0) {
      showError(
        "This message is " + over.toLocaleString("en-US") + (over === 1 ? " character" : " characters") +
        " too long. Messages can be at most " + maxLength.toLocaleString("en-US") + " characters."
      );
    } else if (errorEl.dataset.kind === "length") {
      showError("");
    }
    errorEl.dataset.kind = over > 0 ? "length" : "";
  }
  updateCount();

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    if (messageLength() > maxLength) {
      updateCount();
      return;
    }
    if (ended) {
      showError("This reading has ended; messages can no longer be sent.");
      return;
    }
    if (send({ type: "chat", text: text })) {
      input.value = "";
      input.style.height = "";
      showError("");
      updateCount();
    } else {
      showError("Not connected. Reconnecting…");
    }
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  var lastTypingSent = 0;
  input.addEventListener("input", function () {
    updateCount();
    input.style.height = "";
    input.style.height = Math.min(input.scrollHeight, 160) + "px";
    if (Date.now() - lastTypingSent > 2500) {
      lastTypingSent = Date.now();
      send({ type: "typing" });
    }
  });

  // Engine events ------------------------------------------------------------------------------
  function onEvent(frame) {
    switch (frame.event) {
      case "state":
        setState(frame.state);
        if (frame.state === "active") media.start();
        if (frame.state === "ended") finish();
        break;
      case "billing_tick":
        setMeter(frame);
        break;
      case "low_balance":
        setMeter(frame);
        $("low-balance").classList.remove("hidden");
        break;
      case "free_time_over":
        $("free-time-over").classList.remove("hidden");
        break;
      case "ended":
        finish();
        break;
    }
  }

  function finish() {
    if (ended) return;
    ended = true;
    setState("ended");
    media.stop();
    // Give the other side's last message a moment to arrive, then show the summary.
    window.setTimeout(function () { window.location.assign(summaryUrl); }, 1200);
  }

  // Socket -------------------------------------------------------------------------------------
  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + room.dataset.wsPath);
    socket.addEventListener("open", function () {
      retries = 0;
      showError("");
    });
    socket.addEventListener("message", function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      switch (frame.type) {
        case "hello":
          servedSeconds = frame.served_seconds || 0;
          lastTick = Date.now();
          setState(frame.state);
          setMeter(frame);
          setPresence(frame.presence);
          if (frame.state === "active") media.start();
          break;
        case "chat":
          addMessage(frame);
          break;
        case "typing":
          showTyping();
          break;
        case "presence":
          setPresence(frame);
          break;
        case "event":
          onEvent(frame);
          break;
        case "error":
          showError(frame.message);
          if (frame.code === "ended") finish();
          break;
      }
    });
    socket.addEventListener("close", function (event) {
      if (ended) return;
      if (event.code === 4403) {
        // The reading is over (or was never ours): the page itself knows what to show.
        window.location.assign(summaryUrl);
        return;
      }
      $("room-presence").textContent = "Connection lost. Reconnecting…";
      retries += 1;
      window.setTimeout(connect, Math.min(1000 * Math.pow(2, retries), 15000));
    });
  }

  // Voice / video through Agora ------------------------------------------------------------------
  var media = (function () {
    var tokenUrl = room.dataset.mediaTokenUrl;
    var client = null, tracks = [], started = false;
    var status = $("media-status");

    function setStatus(text) { if (status) { status.textContent = text; status.classList.toggle("hidden", !text); } }

    function fetchToken() {
      return fetch(tokenUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error("token " + r.status); return r.json(); });
    }

    async function start() {
      if (!tokenUrl || started || !window.AgoraRTC) return;
      started = true;
      try {
        var creds = await fetchToken();
        client = window.AgoraRTC.createClient({ mode: "rtc", codec: "vp8" });
        client.on("user-published", async function (user, kind) {
          await client.subscribe(user, kind);
          if (kind === "video") user.videoTrack.play("remote-media");
          if (kind === "audio") user.audioTrack.play();
          setStatus("");
        });
        client.on("user-unpublished", function () { setStatus(otherName + " paused their media"); });
        client.on("token-privilege-will-expire", async function () {
          var fresh = await fetchToken();
          await client.renewToken(fresh.token);
        });
        await client.join(creds.app_id, creds.channel, creds.token, creds.uid);
        if (room.dataset.channel === "video") {
          tracks = await window.AgoraRTC.createMicrophoneAndCameraTracks();
          tracks[1].play("local-media");
        } else {
          tracks = [await window.AgoraRTC.createMicrophoneAudioTrack()];
        }
        await client.publish(tracks);
        setStatus("Waiting for " + otherName + "…");
      } catch (error) {
        started = false;
        setStatus("Voice/video could not start. Chat still works.");
      }
    }

    function stop() {
      tracks.forEach(function (t) { t.close(); });
      tracks = [];
      if (client) client.leave();
      client = null;
    }

    function toggle(button, index, onLabel, offLabel) {
      if (!button) return;
      button.addEventListener("click", function () {
        var track = tracks[index];
        if (!track) return;
        var off = button.getAttribute("aria-pressed") !== "true";
        track.setEnabled(!off);
        button.setAttribute("aria-pressed", off ? "true" : "false");
        button.textContent = off ? offLabel : onLabel;
      });
    }
    toggle($("toggle-mic"), 0, "Mute", "Unmute");
    toggle($("toggle-camera"), 1, "Camera off", "Camera on");

    return { start: start, stop: stop };
  })();

  window.addEventListener("pagehide", function () {
    ended = true; // a deliberate navigation is not a connection loss to recover from
    if (socket) socket.close();
  });

  connect();
})();
