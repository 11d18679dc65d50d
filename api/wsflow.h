/* A guard against a busy loop in libwebsockets 4.1 (Debian 12's), fixed
 * upstream in 4.2.
 *
 * When a write does not all fit in the socket, libwebsockets keeps the
 * rest and sends it once the socket is writable.  If the peer hangs up
 * meanwhile, the read that sees its EOF closes the connection; the close
 * waits for the rest to go out, and the service loop retries that same
 * connection with the poll result it already had, which said readable but
 * not writable.  It reads EOF again, waits again: for ever, one CPU, no
 * other client served.
 *
 * Two guards.  Writes go to the socket whole (the protocols'
 * tx_packet_size, not 4 KiB at a time), so on a unix socket, written only
 * when poll says writable, no rest is kept at all.  And on a websocket,
 * while libwebsockets holds part of a write (a TCP peer's), the
 * connection is not read (a reason bit of rx flow control of our own,
 * apart from the callers' own pauses): a hang-up then shows as POLLHUP
 * alone, which libwebsockets closes at once; once the rest is out, the
 * next writable callback reads it again.  The server's side only: with
 * the client's too, an interactive session's one socket could stop being
 * read at both ends at once.  Not for HTTP connections: there
 * libwebsockets services no POLLOUT while rx is held (api/server.c
 * watches an answer's peer instead).  */
#ifndef MINICTR_API_WSFLOW_H
#define MINICTR_API_WSFLOW_H

#include "lib/dl.h"

#define MC_RXFLOW_REASON_FLUSHING (1 << 1)

/* At the top of a writable callback: whatever was held is out.  */
static inline void
mc_wsflow_writable (struct lws *wsi)
{
  sym_lws_rx_flow_control (wsi, LWS_RXFLOW_REASON_APPLIES_ENABLE | MC_RXFLOW_REASON_FLUSHING);
}

/* After the callback's writes: stop reading while part of them waits.  */
static inline void
mc_wsflow_wrote (struct lws *wsi)
{
  if (sym_lws_partial_buffered (wsi))
    sym_lws_rx_flow_control (wsi, LWS_RXFLOW_REASON_APPLIES_DISABLE | MC_RXFLOW_REASON_FLUSHING);
}

#endif
