// The Chromium call peer of bench/call_vs_browser.py: a browser doing what media.peer does.
//
// Sends a synthetic stamped video (a 640x480 canvas at 30 fps: the moving gradient of
// media/sources.py and, in the top 48 rows, the frame stamp of media/stamps.py — counter,
// send time in microseconds mod 2**48 and a BLAKE2s check word as 16x16 black/white blocks)
// and a 440 Hz WebAudio tone; joins the consult's call through the central platform's
// signaling (GET /api/v1/calls/{id}/ice, then the WebSocket room of central/signaling.py; the
// harness adds the Authorization header to every request of the page over the DevTools
// protocol). The clinic side offers, the specialist answers, candidates trickle.
//
// Per decoded remote frame (MediaStreamTrackProcessor: every frame the decoder delivers, as
// media.peer's on_remote_frame sees them) the mean luma of the middle half of each 16x16 stamp
// block, at the sender's scale whatever resolution arrived, is read from the frame's Y plane;
// the harness decodes the stamp from those means with media/stamps.py itself. Audio: inbound-rtp getStats polled every 200 ms.
// The harness calls startCall(config), hangup() and callReport() through Runtime.evaluate.
"use strict";

// -- the stamp (media/stamps.py) ------------------------------------------------------------

const BLOCK = 16;
const BITS = 96;
const BLACK_RGB = 0; // luma 16 (limited range) once converted to I420
const WHITE_RGB = 255; // luma 235
const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];

function rotr(x, n) { return ((x >>> n) | (x << (32 - n))) >>> 0; }

// BLAKE2s (RFC 7693) of one block of at most 64 bytes, unkeyed; the first outlen bytes.
function blake2s(bytes, outlen) {
  const h = IV.slice();
  h[0] = (h[0] ^ 0x01010000 ^ outlen) >>> 0;
  const block = new Uint8Array(64);
  block.set(bytes);
  const m = new Uint32Array(16);
  for (let i = 0; i < 16; i++) {
    m[i] = (block[4 * i] | (block[4 * i + 1] << 8) | (block[4 * i + 2] << 16)
      | (block[4 * i + 3] << 24)) >>> 0;
  }
  const v = new Uint32Array(16);
  for (let i = 0; i < 8; i++) { v[i] = h[i]; v[i + 8] = IV[i]; }
  v[12] ^= bytes.length;
  v[14] ^= 0xffffffff;
  const g = (a, b, c, d, x, y) => {
    v[a] = v[a] + v[b] + x; v[d] = rotr(v[d] ^ v[a], 16);
    v[c] = v[c] + v[d]; v[b] = rotr(v[b] ^ v[c], 12);
    v[a] = v[a] + v[b] + y; v[d] = rotr(v[d] ^ v[a], 8);
    v[c] = v[c] + v[d]; v[b] = rotr(v[b] ^ v[c], 7);
  };
  for (let r = 0; r < 10; r++) {
    const s = SIGMA[r];
    g(0, 4, 8, 12, m[s[0]], m[s[1]]); g(1, 5, 9, 13, m[s[2]], m[s[3]]);
    g(2, 6, 10, 14, m[s[4]], m[s[5]]); g(3, 7, 11, 15, m[s[6]], m[s[7]]);
    g(0, 5, 10, 15, m[s[8]], m[s[9]]); g(1, 6, 11, 12, m[s[10]], m[s[11]]);
    g(2, 7, 8, 13, m[s[12]], m[s[13]]); g(3, 4, 9, 14, m[s[14]], m[s[15]]);
  }
  const out = new Uint8Array(outlen);
  for (let i = 0; i < outlen; i++) {
    const word = (h[i >> 2] ^ v[i >> 2] ^ v[(i >> 2) + 8]) >>> 0;
    out[i] = (word >>> (8 * (i & 3))) & 0xff;
  }
  return out;
}

function stampBits(counter, sentUs) {
  const c = BigInt(counter >>> 0);
  const t = BigInt(sentUs) & ((1n << 48n) - 1n);
  const raw = new Uint8Array(10);
  for (let i = 0; i < 4; i++) raw[i] = Number((c >> BigInt(8 * (3 - i))) & 0xffn);
  for (let i = 0; i < 6; i++) raw[4 + i] = Number((t >> BigInt(8 * (5 - i))) & 0xffn);
  const d = blake2s(raw, 2);
  const word = (c << 64n) | (t << 16n) | BigInt((d[0] << 8) | d[1]);
  const bits = new Uint8Array(BITS);
  for (let i = 0; i < BITS; i++) bits[i] = Number((word >> BigInt(BITS - 1 - i)) & 1n);
  return bits;
}

function nowUs() { return Math.round((performance.timeOrigin + performance.now()) * 1000); }
function epochUs(highRes) { return Math.round((performance.timeOrigin + highRes) * 1000); }

// -- the synthetic source ---------------------------------------------------------------------

const S = {
  config: null, side: null, offerer: "clinic", peerPresent: false, ws: null, pc: null,
  pcs: 0, makingOffer: false, pendingCandidates: [], states: [], errors: [], log: [],
  received: [], sizes: {}, audioPolls: [], samples: [], sent: 0, closing: false,
  localStream: null, audioContext: null, wsOpened: 0, lastRestart: -1e9, restarts: 0,
};

function note(text) {
  S.log.push([nowUs(), text]);
  console.log(text);
}

function makeSource(width, height, fps) {
  const canvas = document.getElementById("source");
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  // the gradient of media/sources.py, twice as wide so a moving window needs one drawImage
  const pattern = document.createElement("canvas");
  pattern.width = 2 * width;
  pattern.height = height;
  const pctx = pattern.getContext("2d");
  const img = pctx.createImageData(2 * width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < 2 * width; x++) {
      const value = (((x % width) + y) >> 2) % 160 + 48;
      const i = 4 * (y * 2 * width + x);
      img.data[i] = img.data[i + 1] = img.data[i + 2] = value;
      img.data[i + 3] = 255;
    }
  }
  pctx.putImageData(img, 0, 0);
  const stream = canvas.captureStream(0);
  const track = stream.getVideoTracks()[0];
  const perRow = Math.floor(width / BLOCK);
  let counter = 0;
  const start = performance.now();
  const draw = () => {
    if (S.closing) return;
    const due = start + (1000 * counter) / fps;
    const late = performance.now() - due;
    if (late > 1000) counter = Math.floor(((performance.now() - start) * fps) / 1000);
    const n = counter++;
    const shift = (4 * n) % width; // np.roll(pattern, 4n, axis=1)
    ctx.drawImage(pattern, width - shift, 0, width, height, 0, 0, width, height);
    const bits = stampBits(n, nowUs());
    const rows = Math.ceil(BITS / perRow);
    ctx.fillStyle = `rgb(${BLACK_RGB},${BLACK_RGB},${BLACK_RGB})`;
    ctx.fillRect(0, 0, perRow * BLOCK, rows * BLOCK);
    ctx.fillStyle = `rgb(${WHITE_RGB},${WHITE_RGB},${WHITE_RGB})`;
    for (let i = 0; i < BITS; i++) {
      if (bits[i]) ctx.fillRect((i % perRow) * BLOCK, Math.floor(i / perRow) * BLOCK, BLOCK, BLOCK);
    }
    track.requestFrame();
    S.sent = counter;
    const next = start + (1000 * counter) / fps - performance.now();
    setTimeout(draw, Math.max(0, next));
  };
  draw();
  return track;
}

function makeTone() {
  const ac = new AudioContext({ sampleRate: 48000 });
  const osc = ac.createOscillator();
  osc.frequency.value = 440;
  const gain = ac.createGain();
  gain.gain.value = 0.1;
  const dest = ac.createMediaStreamDestination();
  osc.connect(gain).connect(dest);
  osc.start();
  S.audioContext = ac;
  return dest.stream.getAudioTracks()[0];
}

// -- what arrives ------------------------------------------------------------------------------

function blockMeans(luma, stride, w, h) {
  // the 96 stamp blocks at the sender's scale: the middle half of each (8x8 of 16x16 at
  // 640 wide), in the received frame's coordinates
  const { width, height } = S.config;
  const perRow = Math.floor(width / BLOCK);
  const sx = w / width;
  const sy = h / height;
  const means = [];
  for (let i = 0; i < BITS; i++) {
    const bx = (i % perRow) * BLOCK;
    const by = Math.floor(i / perRow) * BLOCK;
    const x0 = Math.floor((bx + 4) * sx);
    const x1 = Math.max(x0 + 1, Math.floor((bx + 12) * sx));
    const y0 = Math.floor((by + 4) * sy);
    const y1 = Math.max(y0 + 1, Math.floor((by + 12) * sy));
    let sum = 0;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) sum += luma[y * stride + x];
    }
    means.push(Math.round(sum / ((x1 - x0) * (y1 - y0))));
  }
  return means;
}

function watchVideo(track) {
  // every decoded frame, as media.peer sees them (no compositor in between): its luma plane,
  // top rows only
  const { width, height } = S.config;
  const stampRows = Math.ceil(BITS / Math.floor(width / BLOCK)) * BLOCK;
  const processor = new MediaStreamTrackProcessor({ track, maxBufferSize: 8 });
  const reader = processor.readable.getReader();
  const canvas = new OffscreenCanvas(width, stampRows);
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const read = async () => {
    while (!S.closing) {
      const { value: frame, done } = await reader.read();
      if (done) return;
      const at = nowUs();
      try {
        const w = frame.displayWidth;
        const h = frame.displayHeight;
        const rows = Math.min(h, 2 * Math.ceil((stampRows * h) / height / 2) + 2);
        let means;
        if (/^(I420|I420A|NV12|I422|I444)$/.test(frame.format || "")) {
          const rect = { x: 0, y: 0, width: w - (w % 2), height: rows - (rows % 2) };
          const buf = new Uint8Array(frame.allocationSize({ rect }));
          const layout = await frame.copyTo(buf, { rect });
          means = blockMeans(buf.subarray(layout[0].offset), layout[0].stride, w, h);
        } else { // RGB: draw the stamp rows at the sender's scale, luma as in BT.601
          ctx.drawImage(frame, 0, 0, w, (h * stampRows) / height, 0, 0, width, stampRows);
          const px = ctx.getImageData(0, 0, width, stampRows).data;
          const luma = new Uint8Array(width * stampRows);
          for (let i = 0; i < luma.length; i++) {
            luma[i] = 16 + (65.481 * px[4 * i] + 128.553 * px[4 * i + 1]
              + 24.966 * px[4 * i + 2]) / 255;
          }
          means = blockMeans(luma, width, width, height);
        }
        S.received.push([at, w, h, ...means]);
      } catch (e) {
        S.errors.push(`frame: ${e}`);
      } finally {
        frame.close();
      }
    }
  };
  read();
}

function watchAudio(track) {
  const audio = document.getElementById("remote-audio");
  audio.srcObject = new MediaStream([track]);
  audio.play().catch((e) => note(`audio.play: ${e}`));
}

async function pollStats() {
  let n = 0;
  while (!S.closing) {
    await new Promise((r) => setTimeout(r, 200));
    const pc = S.pc;
    if (!pc) continue;
    restartIfFailed(pc);
    let report;
    try { report = await pc.getStats(); } catch (e) { continue; }
    const t = nowUs();
    const sample = { t };
    const byId = new Map();
    report.forEach((s) => byId.set(s.id, s));
    report.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "audio") {
        S.audioPolls.push([t, s.packetsReceived || 0, s.lastPacketReceivedTimestamp || 0]);
        sample.audio = {
          packets: s.packetsReceived, lost: s.packetsLost, samples: s.totalSamplesReceived,
          concealed: s.concealedSamples, silent: s.silentConcealedSamples,
        };
      } else if (s.type === "inbound-rtp" && s.kind === "video") {
        sample.video_in = {
          decoded: s.framesDecoded, dropped: s.framesDropped, w: s.frameWidth, h: s.frameHeight,
          freezes: s.freezeCount, frozen_s: s.totalFreezesDuration, nacks: s.nackCount,
          plis: s.pliCount, jb_ms: s.jitterBufferDelay && s.jitterBufferEmittedCount
            ? (1000 * s.jitterBufferDelay) / s.jitterBufferEmittedCount : null,
        };
      } else if (s.type === "outbound-rtp" && s.kind === "video") {
        sample.video_out = {
          w: s.frameWidth, h: s.frameHeight, fps: s.framesPerSecond, sent: s.framesSent,
          limit: s.qualityLimitationReason, target: s.targetBitrate,
        };
      } else if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") {
        const local = byId.get(s.localCandidateId);
        sample.pair = {
          rtt_ms: s.currentRoundTripTime != null ? 1000 * s.currentRoundTripTime : null,
          out_kbps: s.availableOutgoingBitrate != null ? s.availableOutgoingBitrate / 1000 : null,
          local: local ? local.candidateType : null,
        };
      }
    });
    if (n++ % 5 === 0) S.samples.push(sample);
    S.last = sample;
  }
}

// -- the peer connection -----------------------------------------------------------------------

function isOfferer() { return S.side === S.offerer; }

function send(message) {
  if (S.ws && S.ws.readyState === WebSocket.OPEN) {
    S.ws.send(JSON.stringify(message));
    return true;
  }
  note(`signaling down: ${message.type} not sent`);
  return false;
}

function newPc() {
  const pc = new RTCPeerConnection(S.rtcConfig);
  S.pc = pc;
  S.pcs += 1;
  S.pendingCandidates = [];
  // addTrack (not addTransceiver): the answerer's senders are then taken up by the offer's
  // m-lines, so media flows both ways
  for (const track of S.localStream.getTracks()) pc.addTrack(track, S.localStream);
  for (const tr of pc.getTransceivers()) {
    if (tr.sender.track && tr.sender.track.kind === "video" && tr.setCodecPreferences) {
      const codecs = RTCRtpReceiver.getCapabilities("video").codecs;
      tr.setCodecPreferences(codecs.filter((c) => /vp8|rtx|red|ulpfec/i.test(c.mimeType)));
    }
  }
  pc.onicecandidate = (e) => {
    if (e.candidate && e.candidate.candidate) {
      send({ type: "candidate", candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid,
        sdpMLineIndex: e.candidate.sdpMLineIndex });
    }
  };
  pc.ontrack = (e) => {
    note(`track ${e.track.kind}`);
    if (e.track.kind === "video") watchVideo(e.track);
    else watchAudio(e.track);
  };
  pc.onconnectionstatechange = () => {
    S.states.push([nowUs(), pc.connectionState, S.pcs]);
    note(`connection ${pc.connectionState}`);
  };
  pc.oniceconnectionstatechange = () => {
    S.states.push([nowUs(), `ice-${pc.iceConnectionState}`, S.pcs]);
  };
  return pc;
}

// What a careful web app does (the browser itself never restarts ICE): while the connection
// is "failed", an ICE restart on the same peer connection every 5 s — the offerer offers with
// new ICE credentials, the answerer asks for such an offer.
function restartIfFailed(pc) {
  const now = performance.now();
  if (S.closing || pc.connectionState !== "failed" || now - S.lastRestart < 5000) return;
  S.lastRestart = now;
  S.restarts += 1;
  note("ICE restart");
  if (isOfferer()) offer(true);
  else send({ type: "restart" });
}

async function offer(iceRestart) {
  if (S.makingOffer || !S.peerPresent) return;
  S.makingOffer = true;
  try {
    const pc = S.pc;
    const desc = await pc.createOffer({ iceRestart: !!iceRestart });
    await pc.setLocalDescription(desc);
    send({ type: "offer", sdp: pc.localDescription.sdp });
  } catch (e) {
    S.errors.push(`offer: ${e}`);
  } finally {
    S.makingOffer = false;
  }
}

async function onMessage(msg) {
  const pc = S.pc;
  switch (msg.type) {
    case "joined":
      S.side = msg.side;
      S.offerer = msg.offerer || "clinic";
      S.peerPresent = (msg.peers || []).length > 0;
      if (!S.peerPresent) break;
      if (isOfferer()) {
        if (pc.signalingState === "have-local-offer") send({ type: "offer", sdp: pc.localDescription.sdp });
        else if (!pc.remoteDescription) await offer(false);
      } else if (!pc.remoteDescription) {
        send({ type: "restart" }); // joined second: ask for an offer
      } else if (pc.localDescription && pc.connectionState !== "connected") {
        send({ type: "answer", sdp: pc.localDescription.sdp });
      }
      break;
    case "peer-joined":
      S.peerPresent = true;
      if (isOfferer()) {
        if (pc.signalingState === "have-local-offer") send({ type: "offer", sdp: pc.localDescription.sdp });
        else if (!pc.remoteDescription) await offer(false);
      }
      break;
    case "peer-left":
      S.peerPresent = false;
      note(`peer left: ${msg.reason}`);
      break;
    case "restart":
      if (!isOfferer()) break;
      if (pc.signalingState === "have-local-offer") send({ type: "offer", sdp: pc.localDescription.sdp });
      else await offer(!!pc.remoteDescription);
      break;
    case "offer":
      if (isOfferer()) break;
      try {
        await pc.setRemoteDescription({ type: "offer", sdp: msg.sdp });
        for (const c of S.pendingCandidates.splice(0)) await pc.addIceCandidate(c);
        await pc.setLocalDescription(await pc.createAnswer());
        send({ type: "answer", sdp: pc.localDescription.sdp });
      } catch (e) {
        S.errors.push(`answer: ${e}`);
      }
      break;
    case "answer":
      if (!isOfferer() || pc.signalingState !== "have-local-offer") break;
      try {
        await pc.setRemoteDescription({ type: "answer", sdp: msg.sdp });
        for (const c of S.pendingCandidates.splice(0)) await pc.addIceCandidate(c);
      } catch (e) {
        S.errors.push(`remote answer: ${e}`);
      }
      break;
    case "candidate": {
      if (!msg.candidate) break;
      const c = { candidate: msg.candidate, sdpMid: msg.sdpMid, sdpMLineIndex: msg.sdpMLineIndex };
      if (pc.remoteDescription) pc.addIceCandidate(c).catch((e) => S.errors.push(`candidate: ${e}`));
      else S.pendingCandidates.push(c);
      break;
    }
    case "error":
      if (msg.code !== "peer_absent") S.errors.push(`signaling: ${msg.code}: ${msg.message}`);
      break;
    default:
      break;
  }
}

function connectSignaling() {
  const { server, consult } = S.config;
  const url = `${server.replace(/^http/, "ws").replace(/\/$/, "")}/api/v1/calls/${consult}/ws`;
  const ws = new WebSocket(url);
  S.ws = ws;
  let chain = Promise.resolve();
  ws.onopen = () => { S.wsOpened += 1; };
  ws.onmessage = (e) => {
    let msg;
    try { msg = JSON.parse(e.data); } catch (err) { return; }
    chain = chain.then(() => onMessage(msg)).catch((err) => S.errors.push(`${msg.type}: ${err}`));
  };
  ws.onclose = () => {
    if (S.closing) return;
    note("signaling closed; reopening in 1 s");
    setTimeout(connectSignaling, 1000);
  };
}

// -- the harness's entry points ----------------------------------------------------------------

async function startCall(config) {
  S.config = { width: 640, height: 480, fps: 30, relayOnly: true, ...config };
  const base = S.config.server.replace(/\/$/, "");
  const resp = await fetch(`${base}/api/v1/calls/${S.config.consult}/ice`);
  if (!resp.ok) throw new Error(`ICE servers: HTTP ${resp.status}`);
  const ice = await resp.json();
  S.side = ice.side;
  S.rtcConfig = {
    iceServers: ice.ice_servers,
    iceTransportPolicy: S.config.relayOnly ? "relay" : "all",
    bundlePolicy: "max-bundle",
  };
  const video = makeSource(S.config.width, S.config.height, S.config.fps);
  const audio = makeTone();
  S.localStream = new MediaStream([video, audio]);
  newPc();
  connectSignaling();
  pollStats();
  return S.side;
}

function hangup() {
  S.closing = true;
  send({ type: "bye" });
  if (S.pc) S.pc.close();
  if (S.ws) S.ws.close();
  return true;
}

function callReport() {
  return {
    side: S.side, received: S.received, audio_polls: S.audioPolls, samples: S.samples,
    last: S.last || null, states: S.states, peer_connections: S.pcs, errors: S.errors,
    log: S.log.slice(-50), frames_sent: S.sent, signaling_opened: S.wsOpened,
    ice_restarts: S.restarts,
  };
}

window.startCall = startCall;
window.hangup = hangup;
window.callReport = callReport;
window.stampBits = stampBits;
