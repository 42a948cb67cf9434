// The web desk's call page (central/desk/templates/call.html): the specialist's side of a
// consult's video call, in the browser.
//
// Joins the consult's room of central/signaling.py through the desk's own routes, which admit
// by the session cookie (no token is ever handed to this script): GET .../call/ice for the ICE
// servers (TURN credentials from the central platform, no public STUN), then the WebSocket
// .../call/ws. The clinic side always offers (media/session.py); this page answers, trickles
// its candidates, asks for a fresh offer ("restart") when its path died or it joined after the
// clinic, and builds a new RTCPeerConnection when an offer comes from a new one (aiortc cannot
// restart ICE: the clinic reconnects with a fresh peer connection, a new DTLS fingerprint).
//
// The data channel ("call", opened by the clinic) speaks media/datachannel.py's JSON: chat,
// vitals, file offers/chunks, ctl, and a heartbeat ("hb") every 500 ms, which the clinic's
// dead-path watch counts as life. Files go both ways as the desktop sends them: an offer
// {t: "file", id, name, mime, size, sha256}, the receiver's {t: "ack", offset} (what it holds,
// so a transfer resumes on a new channel where it stopped), chunks of 16 KiB with at most 32
// unacknowledged, and the receiver's {t: "done", ok} after its SHA-256 check. A received image
// is drawn on a canvas (the CSP allows no blob: images) and offered as a download, in memory
// only.
// window.deskCall.report() gives the page's counters (for tests and support).
(function () {
  "use strict";
  var root = document.getElementById("call");
  if (!root) { return; }
  var consult = root.getAttribute("data-consult");
  var base = "/desk/consults/" + consult + "/call";
  var HEAD = 24; // file chunk: 16 bytes transfer id + 8 bytes offset (big endian)
  var CHUNK = 16 * 1024; // media/datachannel.py's CHUNK, WINDOW and MAX_FILE
  var WINDOW = 32;
  var MAX_FILE = 64 * 1024 * 1024;
  var PREVIEW = /^image\/(png|jpeg|gif|webp|bmp)$/;
  var S = {
    pc: null, ws: null, channel: null, closing: false, pending: [], iceServers: [],
    local: null, remoteStream: null, fingerprint: null, backoff: 500, lastRestart: -1e9,
    t0: performance.now(), joinedAt: null, connectedAt: null, firstFrameAt: null,
    states: [], chat: [], vitals: [], files: [], incoming: {}, errors: [], pcs: 0,
    outgoing: {}, sent: [],
    framesIn: 0, framesOut: 0, fpsIn: 0, fpsOut: 0, statAt: 0, wsOpened: 0,
  };

  function text(name) { return root.getAttribute("data-t-" + name) || name; }
  // a refusal by its code, as the server's terms say it (never the server's English message)
  function errorText(code) {
    return root.getAttribute("data-t-err-" + String(code || "").replace(/_/g, "-")) || text("err-error");
  }
  // a size as the desk says it: "1 byte", "512 bytes" (Chinese: one form), "1.5 KB", "2.0 MB"
  function sizeText(n) {
    if (n < 1024) { return text(n === 1 ? "byte" : "bytes").replace("%n", String(n)); }
    if (n < 1024 * 1024) { return text("kb").replace("%1", (n / 1024).toFixed(1)); }
    return text("mb").replace("%1", (n / (1024 * 1024)).toFixed(1));
  }
  function el(id) { return document.getElementById(id); }
  function status(name, detail) {
    var t = text(name);
    el("call-state").textContent = detail ? t.replace("%1", detail) : t;
    S.states.push([Math.round(performance.now() - S.t0), name]);
  }
  function since() { return Math.round(performance.now() - S.t0); }
  function uuid() {
    if (crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // -- signaling -----------------------------------------------------------------------------

  function send(message) {
    if (S.ws && S.ws.readyState === WebSocket.OPEN) {
      S.ws.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  function askOffer() {
    var now = performance.now();
    if (now - S.lastRestart < 4000) { return; }
    if (send({ type: "restart" })) { S.lastRestart = now; }
  }

  function connectSignaling() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + location.host + base + "/ws");
    S.ws = ws;
    ws.onopen = function () { S.wsOpened += 1; S.backoff = 500; };
    ws.onmessage = function (e) {
      var msg;
      try { msg = JSON.parse(e.data); } catch (err) { return; }
      onMessage(msg).catch(function (err) { S.errors.push(String(err)); });
    };
    ws.onclose = function () {
      if (S.closing || S.ws !== ws) { return; }
      window.setTimeout(connectSignaling, S.backoff);
      S.backoff = Math.min(10000, S.backoff * 2);
    };
  }

  function fingerprintOf(sdp) {
    var m = /a=fingerprint:\S+ (\S+)/.exec(sdp);
    return m ? m[1] : null;
  }

  async function onMessage(msg) {
    switch (msg.type) {
      case "joined":
        if (S.joinedAt === null) { S.joinedAt = since(); }
        if (msg.peers.indexOf("clinic") < 0) { status("waiting"); }
        else if (!S.pc || !S.pc.remoteDescription) { status("connecting"); askOffer(); }
        break;
      case "peer-joined":
        if (!S.pc || S.pc.connectionState !== "connected") { status("connecting"); }
        break;
      case "peer-left":
        status(msg.reason === "hangup" ? "left" : "reconnecting");
        if (msg.reason === "hangup") { closePc(); }
        break;
      case "offer":
        await onOffer(msg.sdp);
        break;
      case "candidate":
        if (!msg.candidate) { break; }
        var c = { candidate: msg.candidate, sdpMid: msg.sdpMid, sdpMLineIndex: msg.sdpMLineIndex };
        if (S.pc && S.pc.remoteDescription) {
          S.pc.addIceCandidate(c).catch(function (err) { S.errors.push("candidate: " + err); });
        } else {
          S.pending.push(c);
        }
        break;
      case "error":
        S.errors.push(msg.code + ": " + msg.message);
        if (msg.code === "session_ended" || msg.code === "room_full" || msg.code === "replaced") {
          S.closing = true;
          status("failed", errorText(msg.code));
        }
        break;
      default:
        break;
    }
  }

  async function onOffer(sdp) {
    var fp = fingerprintOf(sdp);
    if (S.pc && S.fingerprint && fp === S.fingerprint && S.pc.localDescription &&
        S.pc.signalingState === "stable") {
      send({ type: "answer", sdp: S.pc.localDescription.sdp }); // an offer sent again
      return;
    }
    if (S.pc && fp !== S.fingerprint) { closePc(); } // a fresh peer connection on the clinic's side
    if (!S.pc) { newPc(); }
    S.fingerprint = fp;
    var pc = S.pc;
    await pc.setRemoteDescription({ type: "offer", sdp: sdp });
    var queued = S.pending.splice(0);
    for (var i = 0; i < queued.length; i++) {
      await pc.addIceCandidate(queued[i]).catch(function (err) { S.errors.push("candidate: " + err); });
    }
    await pc.setLocalDescription(await pc.createAnswer());
    send({ type: "answer", sdp: pc.localDescription.sdp });
  }

  // -- the peer connection -------------------------------------------------------------------

  function newPc() {
    var pc = new RTCPeerConnection({ iceServers: S.iceServers });
    S.pc = pc;
    S.pcs += 1;
    if (S.local) {
      S.local.getTracks().forEach(function (track) { pc.addTrack(track, S.local); });
    }
    pc.onicecandidate = function (e) {
      if (e.candidate && pc === S.pc) {
        send({ type: "candidate", candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid,
               sdpMLineIndex: e.candidate.sdpMLineIndex });
      }
    };
    pc.ontrack = function (e) {
      if (!S.remoteStream) { S.remoteStream = new MediaStream(); }
      S.remoteStream.getTracks().filter(function (t) { return t.kind === e.track.kind; })
        .forEach(function (t) { S.remoteStream.removeTrack(t); });
      S.remoteStream.addTrack(e.track);
      var video = el("remote-video");
      if (video.srcObject !== S.remoteStream) { video.srcObject = S.remoteStream; }
      play(video);
    };
    pc.ondatachannel = function (e) { if (pc === S.pc) { attachChannel(e.channel); } };
    pc.onconnectionstatechange = function () {
      if (pc !== S.pc) { return; }
      var state = pc.connectionState;
      if (state === "connected") {
        if (S.connectedAt === null) { S.connectedAt = since(); }
        status("connected");
      } else if (state === "disconnected") {
        status("reconnecting");
      } else if (state === "failed") {
        status("reconnecting");
        askOffer();
      }
    };
    return pc;
  }

  function closePc() {
    var pc = S.pc;
    S.pc = null;
    S.fingerprint = null;
    S.pending = [];
    if (pc) { pc.close(); }
  }

  function play(video) {
    var p = video.play();
    if (p && p.catch) {
      p.catch(function () { // no sound without a gesture: play muted, offer a button
        video.muted = true;
        video.play().catch(function () { return null; });
        el("sound-on").hidden = false;
      });
    }
  }

  // -- the data channel (media/datachannel.py) -----------------------------------------------

  function attachChannel(ch) {
    ch.binaryType = "arraybuffer";
    ch.bufferedAmountLowThreshold = 4 * CHUNK;
    S.channel = ch;
    Object.keys(S.outgoing).forEach(function (id) { S.outgoing[id].offered = false; });
    ch.onopen = pumpAll;
    ch.onbufferedamountlow = pumpAll;
    ch.onclose = function () {
      Object.keys(S.outgoing).forEach(function (id) { S.outgoing[id].offered = false; });
    };
    ch.onmessage = function (e) {
      if (typeof e.data === "string") {
        var d;
        try { d = JSON.parse(e.data); } catch (err) { return; }
        if (d && typeof d === "object") { onJson(d); }
      } else {
        onChunk(new Uint8Array(e.data));
      }
    };
    if (ch.readyState === "open") { pumpAll(); }
  }

  function sendJson(d) {
    if (S.channel && S.channel.readyState === "open") {
      S.channel.send(JSON.stringify(d));
      return true;
    }
    return false;
  }

  function addLine(listId, line, mine) {
    var li = document.createElement("li");
    if (mine) { li.className = "mine"; }
    li.textContent = line;
    el(listId).appendChild(li);
    li.scrollIntoView({ block: "nearest" });
    return li;
  }

  function clock(at) {
    var d = new Date(at * 1000);
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }

  function onJson(d) {
    if (d.t === "chat" && typeof d.text === "string") {
      var body = d.text.slice(0, 4000);
      S.chat.push({ text: body, mine: false });
      addLine("chat-log", clock(Number(d.at) || Date.now() / 1000) + " " + text("clinic") + ": " + body, false);
    } else if (d.t === "vitals") {
      S.vitals.push({ code: String(d.code), value: Number(d.value), unit: String(d.unit) });
      addLine("vitals-log", (d.display || d.code) + ": " + d.value + " " + d.unit, false);
    } else if (d.t === "file") {
      onFileOffer(d);
    } else if (d.t === "ack") {
      onAck(d);
    } else if (d.t === "done") {
      onDone(d);
    } else if (d.t === "ctl") {
      el("remote-video").classList.toggle("off", d.camera === false || d.audio_only === true);
    }
  }

  function onFileOffer(d) {
    var id = String(d.id);
    var size = Number(d.size);
    if (!(size >= 0 && size <= MAX_FILE)) { sendJson({ t: "done", id: id, ok: false }); return; }
    var inc = S.incoming[id];
    if (!inc || inc.size !== size || inc.sha256 !== String(d.sha256)) {
      inc = { id: id, name: String(d.name).slice(0, 255), mime: String(d.mime).slice(0, 100),
              size: size, sha256: String(d.sha256), parts: [], held: 0, li: null };
      S.incoming[id] = inc;
      inc.li = addLine("files-log", inc.name + " (" + sizeText(size) + ") · 0%", false);
    }
    sendJson({ t: "ack", id: id, offset: inc.held });
    if (size === 0) { finishFile(inc); }
  }

  function idOf(bytes) {
    var h = Array.prototype.map.call(bytes, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function onChunk(bytes) {
    if (bytes.length < HEAD) { return; }
    var id = idOf(bytes.subarray(0, 16));
    var view = new DataView(bytes.buffer, bytes.byteOffset + 16, 8);
    var offset = view.getUint32(0) * 4294967296 + view.getUint32(4);
    var inc = S.incoming[id];
    if (!inc || offset !== inc.held) { return; }
    var part = bytes.slice(HEAD, HEAD + (inc.size - inc.held));
    inc.parts.push(part);
    inc.held += part.length;
    sendJson({ t: "ack", id: id, offset: inc.held });
    inc.li.textContent = inc.name + " (" + sizeText(inc.size) + ") · " + Math.floor((100 * inc.held) / Math.max(1, inc.size)) + "%";
    if (inc.held >= inc.size) { finishFile(inc); }
  }

  async function finishFile(inc) {
    delete S.incoming[inc.id];
    var blob = new Blob(inc.parts, { type: inc.mime || "application/octet-stream" });
    var digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await blob.arrayBuffer()));
    var sum = hex(digest);
    var ok = sum === inc.sha256;
    sendJson({ t: "done", id: inc.id, ok: ok });
    var got = { name: inc.name, mime: inc.mime, size: inc.size, sha256: sum, ok: ok, preview: null };
    S.files.push(got);
    inc.li.textContent = "";
    if (ok) {
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob); // kept in memory only; saved only if the user chooses
      a.download = inc.name;
      a.textContent = inc.name;
      inc.li.appendChild(a);
      inc.li.appendChild(document.createTextNode(" (" + sizeText(inc.size) + ") · " + text("delivered")));
      if (PREVIEW.test(inc.mime) || /\.(png|jpe?g|gif|webp|bmp)$/i.test(inc.name)) {
        got.preview = await preview(inc.li, blob, inc.name);
      }
    } else {
      inc.li.textContent = inc.name + " (" + sizeText(inc.size) + ") · " + text("damaged");
    }
  }

  // an image drawn on a canvas: the page's CSP allows images from the desk only (no blob:)
  async function preview(li, blob, name) {
    var bitmap;
    try { bitmap = await createImageBitmap(blob); } catch (err) { return null; } // not an image
    var canvas = document.createElement("canvas");
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    canvas.className = "shared-image";
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", name);
    canvas.getContext("2d").drawImage(bitmap, 0, 0);
    bitmap.close();
    li.appendChild(canvas);
    return [canvas.width, canvas.height];
  }

  // -- sending a file (media/datachannel.py's CallChannel.send_file, the browser's side) ----

  function hex(bytes) {
    return Array.prototype.map.call(bytes, function (x) { return (x + 256).toString(16).slice(1); }).join("");
  }

  function idBytes(id) {
    var h = id.replace(/-/g, "");
    var out = new Uint8Array(16);
    for (var i = 0; i < 16; i++) { out[i] = parseInt(h.substr(2 * i, 2), 16); }
    return out;
  }

  function showShareError(message) {
    var box = el("share-error");
    box.textContent = message;
    box.hidden = !message;
  }

  async function shareFile(file) {
    showShareError("");
    if (!file) { showShareError(text("choose")); return false; }
    if (file.size > MAX_FILE) { showShareError(text("toolarge")); return false; }
    var data = new Uint8Array(await file.arrayBuffer());
    var digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
    var id = uuid();
    var tr = {
      id: id, head: idBytes(id), name: file.name.slice(0, 255),
      mime: (file.type || "application/octet-stream").slice(0, 100), size: data.length,
      sha256: hex(digest), data: data, acked: 0, next: -1, offered: false, ok: null,
      li: addLine("files-log", file.name + " (" + sizeText(data.length) + ") · " + text("sending").replace("%1", "0"), true),
    };
    S.outgoing[id] = tr;
    pump(tr);
    return true;
  }

  function pumpAll() {
    Object.keys(S.outgoing).forEach(function (id) { pump(S.outgoing[id]); });
  }

  function pump(tr) {
    var ch = S.channel;
    if (tr.ok !== null || !ch || ch.readyState !== "open") { return; } // waits for a channel
    if (!tr.offered) {
      tr.next = -1; // until the receiver says what it holds
      tr.offered = sendJson({ t: "file", id: tr.id, name: tr.name, mime: tr.mime,
                              size: tr.size, sha256: tr.sha256 });
      return;
    }
    try {
      while (tr.next >= 0 && tr.next < tr.size && tr.next - tr.acked < WINDOW * CHUNK &&
             ch.bufferedAmount < WINDOW * CHUNK) {
        var part = tr.data.subarray(tr.next, tr.next + CHUNK);
        var message = new Uint8Array(HEAD + part.length);
        var view = new DataView(message.buffer);
        message.set(tr.head, 0);
        view.setUint32(16, Math.floor(tr.next / 4294967296));
        view.setUint32(20, tr.next % 4294967296);
        message.set(part, HEAD);
        ch.send(message);
        tr.next += part.length;
      }
    } catch (err) { // the channel closed under us: offered again on the next one
      S.errors.push("file: " + err);
      tr.offered = false;
    }
  }

  function onAck(d) {
    var tr = S.outgoing[String(d.id)];
    var offset = Number(d.offset);
    if (!tr || !(offset >= 0)) { return; }
    if (tr.next < 0) { tr.next = Math.min(offset, tr.size); } // resume from what it holds
    tr.acked = Math.max(tr.acked, Math.min(offset, tr.size));
    var pct = Math.floor((100 * tr.acked) / Math.max(1, tr.size));
    tr.li.textContent = tr.name + " (" + sizeText(tr.size) + ") · " + text("sending").replace("%1", String(pct));
    pump(tr);
  }

  function onDone(d) {
    var tr = S.outgoing[String(d.id)];
    if (!tr) { return; }
    delete S.outgoing[tr.id];
    tr.ok = d.ok === true;
    tr.data = null;
    S.sent.push({ name: tr.name, size: tr.size, sha256: tr.sha256, ok: tr.ok });
    tr.li.textContent = tr.name + " (" + sizeText(tr.size) + ") · " + text(tr.ok ? "delivered" : "damaged");
  }

  function sendChat(value) {
    var t = value.trim().slice(0, 4000);
    if (!t) { return false; }
    var at = Date.now() / 1000;
    if (!sendJson({ t: "chat", id: uuid(), text: t, at: at })) { return false; }
    S.chat.push({ text: t, mine: true });
    addLine("chat-log", clock(at) + " " + text("you") + ": " + t, true);
    return true;
  }

  // -- counters ------------------------------------------------------------------------------

  async function poll() {
    if (S.closing) { return; }
    if (S.channel && S.channel.readyState === "open") {
      try { S.channel.send('{"t":"hb"}'); } catch (err) { S.errors.push("hb: " + err); }
    }
    var now = performance.now();
    if (!S.pc || now - S.statAt < 1000) { return; }
    var report;
    try { report = await S.pc.getStats(); } catch (err) { return; }
    var inFrames = 0;
    var outFrames = 0;
    report.forEach(function (s) {
      if (s.type === "inbound-rtp" && s.kind === "video") { inFrames += s.framesDecoded || 0; }
      if (s.type === "outbound-rtp" && s.kind === "video") { outFrames += s.framesEncoded || 0; }
    });
    var span = S.statAt ? (now - S.statAt) / 1000 : 0;
    if (span > 0) {
      S.fpsIn = Math.max(0, inFrames - S.framesIn) / span;
      S.fpsOut = Math.max(0, outFrames - S.framesOut) / span;
      el("call-rates").textContent = text("rates").replace("%1", S.fpsIn.toFixed(0))
        .replace("%2", S.fpsOut.toFixed(0));
    }
    if (inFrames > 0 && S.firstFrameAt === null) { S.firstFrameAt = since(); }
    S.framesIn = inFrames;
    S.framesOut = outFrames;
    S.statAt = now;
  }

  function hangup() {
    if (S.closing) { return; }
    S.closing = true;
    send({ type: "bye" });
    closePc();
    if (S.ws) { S.ws.close(); }
    if (S.local) { S.local.getTracks().forEach(function (t) { t.stop(); }); }
    status("ended");
    el("hang-up").disabled = true;
  }

  // -- start ---------------------------------------------------------------------------------

  async function localMedia() {
    var wants = [{ audio: true, video: { width: 640, height: 480 } }, { video: true }, { audio: true }];
    for (var i = 0; i < wants.length; i++) {
      try { return await navigator.mediaDevices.getUserMedia(wants[i]); } catch (err) { S.errors.push("media: " + err.name); }
    }
    return null;
  }

  async function start() {
    status("joining");
    var answer = await fetch(base + "/ice", { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!answer.ok) {
      var refused = { 401: "unauthorized", 403: "unauthorized", 404: "not_found", 409: "consult_closed" };
      S.errors.push("ice: " + answer.status);
      status("failed", errorText(refused[answer.status] || "server_error"));
      S.closing = true;
      return;
    }
    var ice = await answer.json();
    S.iceServers = ice.ice_servers || [];
    S.local = navigator.mediaDevices ? await localMedia() : null;
    if (S.local) {
      el("local-video").srcObject = S.local;
      play(el("local-video"));
    } else {
      addLine("chat-log", text("nomedia"), false);
    }
    connectSignaling();
  }

  el("hang-up").addEventListener("click", hangup);
  el("sound-on").addEventListener("click", function () {
    var video = el("remote-video");
    video.muted = false;
    video.play().catch(function () { return null; });
    el("sound-on").hidden = true;
  });
  el("chat-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var input = el("chat-text");
    if (sendChat(input.value)) { input.value = ""; }
  });
  el("share-file").addEventListener("change", function () {
    var input = el("share-file");
    el("share-name").textContent = input.files && input.files[0] ? input.files[0].name
      : el("share-form").getAttribute("data-t-nofile");
    showShareError("");
  });
  el("share-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var input = el("share-file");
    shareFile(input.files && input.files[0]).then(function (started) {
      if (started) {
        input.value = "";
        el("share-name").textContent = el("share-form").getAttribute("data-t-nofile");
      }
    }).catch(function (err) { S.errors.push("share: " + err); showShareError(text("err-browser")); });
  });
  window.addEventListener("pagehide", hangup);
  window.setInterval(poll, 500);

  window.deskCall = {
    report: function () {
      return {
        joinedAt: S.joinedAt, connectedAt: S.connectedAt, firstFrameAt: S.firstFrameAt,
        state: S.pc ? S.pc.connectionState : "none", framesIn: S.framesIn, framesOut: S.framesOut,
        fpsIn: S.fpsIn, fpsOut: S.fpsOut, chat: S.chat, vitals: S.vitals, files: S.files,
        sent: S.sent, sending: Object.keys(S.outgoing).length,
        errors: S.errors, states: S.states, pcs: S.pcs, channel: S.channel ? S.channel.readyState : "none",
        sdp: S.pc && S.pc.localDescription && S.pc.remoteDescription
          ? { local: S.pc.localDescription.sdp, remote: S.pc.remoteDescription.sdp } : null,
      };
    },
    // the peer connection's getStats as plain objects (support: what the path and codecs do)
    stats: async function () {
      var out = [];
      if (S.pc) { (await S.pc.getStats()).forEach(function (s) { out.push(s); }); }
      return out;
    },
  };
  start().catch(function (err) { S.errors.push(String(err)); status("failed", text("err-browser")); });
}());
