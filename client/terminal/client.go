package terminal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/hashicorp/go-retryablehttp"

	"onex/client/room"
	wire "onex/sync"
)

// maxAnswer bounds what the terminal reads of an answer: a paper fits.
const maxAnswer = 16 << 20

// transportError is a request that got no answer: ErrUnreachable, with the
// *PinError when the station's key was not the one pinned.
func transportError(err error) error {
	var pe *PinError
	if errors.As(err, &pe) {
		return fmt.Errorf("%w: %w", ErrUnreachable, pe)
	}
	return fmt.Errorf("%w: %w", ErrUnreachable, wire.TransportError(err))
}

// decodeAnswer reads a 200 answer's JSON into out, or the problem of any
// other as a *StationError. It closes the body.
func decodeAnswer(resp *http.Response, path string, out any, limit int64) error {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return transportError(err)
	}
	if resp.StatusCode != http.StatusOK {
		var p wire.Problem
		_ = json.Unmarshal(b[:min(len(b), 64<<10)], &p)
		return &StationError{Path: path, Status: resp.StatusCode, Code: p.Code, Detail: p.Error}
	}
	if int64(len(b)) > limit {
		return fmt.Errorf("the station's answer to %s is larger than %d bytes", path, limit)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("the station's answer to %s: %w", path, err)
	}
	return nil
}

// do sends a signed request (body nil for a GET) and decodes the answer.
// Every answer's Date teaches the terminal the station's clock.
func (t *Terminal) do(ctx context.Context, c *retryablehttp.Client, method, target string, body, out any) error {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return err
		}
	}
	req, err := t.signer.NewRequest(ctx, method, t.base+target, b)
	if err != nil {
		return err
	}
	if b != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	sent := t.now()
	resp, err := c.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w: %w", target, ErrUnreachable, ctx.Err())
		}
		return fmt.Errorf("%s: %w", target, transportError(err))
	}
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil && t.offset.Load() == 0 {
		t.learn(d, sent)
	}
	err = decodeAnswer(resp, target, out, maxAnswer)
	if se := (*StationError)(nil); errors.As(err, &se) && se.Code == wire.RefusedRevoked {
		t.setRevoked()
	}
	return err
}

// stateTarget is the long poll's target after gen.
func stateTarget(gen uint64) string {
	return room.PathState + "?after=" + strconv.FormatUint(gen, 10)
}
