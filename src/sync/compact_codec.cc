// See compact_codec.h and compact_wire.h.
#include "sync/compact_codec.h"

#include <cstring>

#include "sync/attr_writer.h"

namespace ctsync {

namespace {

uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

void put_hdr(uint8_t* p, uint8_t type, uint8_t flags, size_t len, uint32_t seq) {
  p[0] = static_cast<uint8_t>(kVersion2 << 4 | type);
  p[1] = flags;
  p[2] = static_cast<uint8_t>(len >> 8);
  p[3] = static_cast<uint8_t>(len);
  v2_put32(p + 4, seq);
}

// The record fields in bit order: the v1 attribute each stands for and
// its payload size.
struct FieldDef {
  uint8_t bit;
  uint16_t attr;
  uint8_t size;
};
constexpr FieldDef kFields[] = {
    {kFieldAddr4, kNtaIpv4, 8},   {kFieldAddr6, kNtaIpv6, 32},   {kFieldL4Proto, kNtaL4Proto, 1},
    {kFieldPort, kNtaPort, 4},    {kFieldStatus, kNtaStatus, 4}, {kFieldTimeout, kNtaTimeout, 4},
    {kFieldMark, kNtaMark, 4},    {kFieldTcpState, kNtaTcpState, 1},
};

int field_index(uint16_t attr) {
  for (int i = 0; i < 8; i++)
    if (kFields[i].attr == attr) return i;
  return -1;
}

size_t fields_len(uint8_t fields) {
  size_t n = 0;
  for (const FieldDef& f : kFields)
    if (fields & f.bit) n += f.size;
  return n;
}

}  // namespace

const char* v2_type_name(uint8_t type) {
  switch (type) {
    case kV2Data: return "DATA";
    case kV2Offer: return "OFFER";
    case kV2Need: return "NEED";
    default: return "type?";
  }
}

const char* record_kind_name(uint8_t kind) {
  switch (kind) {
    case kRecNew: return "NEW";
    case kRecUpd: return "UPD";
    case kRecDel: return "DEL";
    case kRecDelFull: return "DEL_FULL";
    case kRecUpdFull: return "UPD_FULL";
    default: return "kind?";
  }
}

// ---- DATA, sending -----------------------------------------------------------

void CompactPacket::open(std::span<uint8_t> buf, uint32_t node, uint32_t seq) {
  buf_ = buf.size() > kV2PacketMax ? buf.first(kV2PacketMax) : buf;
  open_ = buf_.size() >= kV2HdrLen;
  if (!open_) return;
  put_hdr(buf_.data(), kV2Data, 0, kV2HdrLen, seq);
  v2_put32(buf_.data() + 8, node);
  len_ = kV2HdrLen;
  records_ = 0;
  seq_ = seq;
}

bool CompactPacket::add(uint8_t kind, uint32_t ref, uint32_t serial, std::span<const uint8_t> v1,
                        uint8_t upd_fields) {
  if (!open_) return false;
  const uint8_t* field_at[8] = {};
  uint8_t fields = 0;
  size_t tail = 0;
  const bool full = record_is_full(kind);
  // Our own encode_ct output, still walked with bounds checks.
  size_t o = kHdrLen;
  while (record_has_body(kind) && o + kAttrHdrLen <= v1.size()) {
    const uint16_t alen = get16(&v1[o]);
    const uint16_t id = get16(&v1[o + 2]);
    if (alen < kAttrHdrLen || o + alen > v1.size()) return false;
    const size_t step = ((alen + 3u) & ~3u) < v1.size() - o ? ((alen + 3u) & ~3u) : v1.size() - o;
    const int fi = field_index(id);
    if (fi >= 0 && alen == kAttrHdrLen + kFields[fi].size) {
      if (full || (upd_fields & kFields[fi].bit)) {
        field_at[fi] = &v1[o + kAttrHdrLen];
        fields |= kFields[fi].bit;
      }
    } else if (full) {
      tail += step;
    }
    o += step;
  }
  const size_t need = kRecordHdrLen + fields_len(fields) + (full ? 2 + tail : 0);
  if (need > buf_.size() - len_ || tail > 0xffff) return false;
  uint8_t* p = buf_.data() + len_;
  p[0] = kind;
  p[1] = fields;
  v2_put32(p + 2, ref);
  v2_put32(p + 6, serial);
  p += kRecordHdrLen;
  for (int i = 0; i < 8; i++) {
    if (!(fields & kFields[i].bit)) continue;
    std::memcpy(p, field_at[i], kFields[i].size);
    p += kFields[i].size;
  }
  if (full) {
    p[0] = static_cast<uint8_t>(tail >> 8);
    p[1] = static_cast<uint8_t>(tail);
    p += 2;
    for (o = kHdrLen; o + kAttrHdrLen <= v1.size();) {
      const uint16_t alen = get16(&v1[o]);
      const size_t step = ((alen + 3u) & ~3u) < v1.size() - o ? ((alen + 3u) & ~3u) : v1.size() - o;
      const int fi = field_index(get16(&v1[o + 2]));
      if (fi < 0 || alen != kAttrHdrLen + kFields[fi].size) {
        std::memcpy(p, &v1[o], step);
        p += step;
      }
      o += step;
    }
  }
  len_ += need;
  records_++;
  return true;
}

void CompactPacket::or_flags(uint8_t flags) {
  if (open_) buf_[1] |= flags;
}

std::span<const uint8_t> CompactPacket::close() {
  if (!open_) return {};
  open_ = false;
  if (records_ == 0) return {};
  buf_[2] = static_cast<uint8_t>(len_ >> 8);
  buf_[3] = static_cast<uint8_t>(len_);
  return buf_.first(len_);
}

// ---- DATA, receiving ---------------------------------------------------------

RecordReader::RecordReader(const MsgView& m) : p_(m.bytes), off_(kV2HdrLen) {
  if (p_.size() < kV2HdrLen) {
    bad_ = true;
    return;
  }
  node_ = v2_get32(p_.data() + 8);
}

bool RecordReader::next(RecordView* r, DropReason* err) {
  *err = DropReason::kNone;
  if (bad_) {
    *err = DropReason::kTruncated;
    bad_ = false;
    off_ = p_.size();
    return false;
  }
  if (off_ >= p_.size()) return false;
  auto fail = [&](DropReason why) {
    *err = why;
    off_ = p_.size();
    return false;
  };
  const size_t left = p_.size() - off_;
  if (left < kRecordHdrLen) return fail(DropReason::kAttrOverrun);
  const uint8_t* p = p_.data() + off_;
  r->kind = p[0];
  r->fields = p[1];
  r->ref = v2_get32(p + 2);
  r->serial = v2_get32(p + 6);
  if (r->kind == 0 || r->kind > kRecKindMax) return fail(DropReason::kBadType);
  size_t body = 0;
  if (r->kind == kRecDel) {
    if (r->fields) return fail(DropReason::kAttrSize);
  } else {
    if ((r->fields & kFieldAddr4) && (r->fields & kFieldAddr6)) return fail(DropReason::kAttrSize);
    if (r->kind == kRecUpd && (r->fields & ~kUpdFields)) return fail(DropReason::kAttrSize);
    body = fields_len(r->fields);
    if (record_is_full(r->kind)) {
      if (left < kRecordHdrLen + body + 2) return fail(DropReason::kAttrOverrun);
      body += 2 + get16(p + kRecordHdrLen + body);
    }
  }
  if (left < kRecordHdrLen + body) return fail(DropReason::kAttrOverrun);
  r->body = p_.subspan(off_ + kRecordHdrLen, body);
  off_ += kRecordHdrLen + body;
  return true;
}

size_t record_to_v1(const RecordView& r, std::span<uint8_t> out) {
  if (!record_has_body(r.kind)) return 0;
  AttrWriter w(out, kMsgCtNew);
  size_t o = 0;
  for (const FieldDef& f : kFields) {
    if (!(r.fields & f.bit)) continue;
    if (o + f.size > r.body.size()) return 0;
    w.raw(f.attr, &r.body[o], f.size);
    o += f.size;
  }
  if (record_is_full(r.kind)) {
    if (o + 2 > r.body.size()) return 0;
    const size_t tail = get16(&r.body[o]);
    o += 2;
    if (o + tail != r.body.size()) return 0;
    // The tail's TLVs, re-put one by one: the v1 decoder then checks
    // their ids and sizes as it checks any v1 message.
    while (o + kAttrHdrLen <= r.body.size()) {
      const uint16_t alen = get16(&r.body[o]);
      if (alen < kAttrHdrLen || o + alen > r.body.size()) return 0;
      w.raw(get16(&r.body[o + 2]), &r.body[o + kAttrHdrLen], alen - kAttrHdrLen);
      const size_t step = (alen + 3u) & ~3u;
      o += step < r.body.size() - o ? step : r.body.size() - o;
    }
    if (o != r.body.size()) return 0;
  } else if (o != r.body.size()) {
    return 0;
  }
  return w.finish();
}

// ---- OFFER and NEED ----------------------------------------------------------

size_t encode_offer(std::span<uint8_t> out, uint32_t node, uint32_t caps, uint8_t flags) {
  if (out.size() < kOfferLen) return 0;
  put_hdr(out.data(), kV2Offer, flags, kOfferLen, 0);
  v2_put32(out.data() + 8, node);
  v2_put32(out.data() + 12, caps);
  return kOfferLen;
}

bool decode_offer(const MsgView& m, uint32_t* node, uint32_t* caps) {
  if (m.bytes.size() < kOfferLen) return false;
  *node = v2_get32(m.bytes.data() + 8);
  *caps = v2_get32(m.bytes.data() + 12);
  return true;
}

void NeedPacket::open(std::span<uint8_t> buf, uint32_t node) {
  buf_ = buf.size() > kV2PacketMax ? buf.first(kV2PacketMax) : buf;
  ids_ = 0;
  len_ = 0;
  if (buf_.size() < kV2HdrLen) return;
  put_hdr(buf_.data(), kV2Need, 0, kV2HdrLen, 0);
  v2_put32(buf_.data() + 8, node);
  len_ = kV2HdrLen;
}

bool NeedPacket::add(uint32_t ref, uint32_t serial) {
  if (len_ < kV2HdrLen || buf_.size() - len_ < kNeedIdLen) return false;
  v2_put32(buf_.data() + len_, ref);
  v2_put32(buf_.data() + len_ + 4, serial);
  len_ += kNeedIdLen;
  ids_++;
  return true;
}

std::span<const uint8_t> NeedPacket::close() {
  if (ids_ == 0) return {};
  buf_[2] = static_cast<uint8_t>(len_ >> 8);
  buf_[3] = static_cast<uint8_t>(len_);
  ids_ = 0;
  const size_t n = len_;
  len_ = kV2HdrLen;
  return buf_.first(n);
}

}  // namespace ctsync
