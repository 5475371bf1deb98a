// Package progress is the contract between the packages that do long work
// (content's validation, builder's build, the verification of a history)
// and the front ends that show how far it has come: a Counter the work
// advances and a front end reads when it likes, from another goroutine.
//
// The work pays one atomic add per unit (a manifest evaluated): no lock,
// no allocation, no call into the front end. Every method is safe on a nil
// *Counter, which counts nothing: work nobody watches passes nil.
package progress

import "sync/atomic"

// Counter is how much of some work is done, in units (manifests
// evaluated), and, for work made of steps (the builds of a history), which
// step it is at. Units are counted across steps: Done and Total only grow.
type Counter struct {
	done, total atomic.Int64
	step, steps atomic.Int64
	// stepDone and stepTotal are done and total when the current step
	// began.
	stepDone, stepTotal atomic.Int64
}

// Expect adds n units to the work's total, as soon as a part of it knows
// its size.
func (c *Counter) Expect(n int) {
	if c != nil && n != 0 {
		c.total.Add(int64(n))
	}
}

// Done records n units done.
func (c *Counter) Done(n int) {
	if c != nil {
		c.done.Add(int64(n))
	}
}

// Steps says the work is n steps; the first Step begins the first.
func (c *Counter) Steps(n int) {
	if c != nil {
		c.steps.Store(int64(n))
	}
}

// Step begins the next step. Call it between steps, when no unit of the
// previous one is still being counted.
func (c *Counter) Step() {
	if c != nil {
		c.stepDone.Store(c.done.Load())
		c.stepTotal.Store(c.total.Load())
		c.step.Add(1)
	}
}

// Snapshot is a Counter as read at one moment.
type Snapshot struct {
	// Done and Total are the units done and known, over every step.
	Done, Total int64
	// Step is the step under way (from 1) of Steps; both 0 for work
	// without steps.
	Step, Steps int64
	// StepDone and StepTotal are the current step's own units.
	StepDone, StepTotal int64
}

// Load reads the counter. Its fields are read one by one while the work
// goes on: a front end shows them, it does not do sums that must balance.
// Done never exceeds Total in what it returns.
func (c *Counter) Load() Snapshot {
	if c == nil {
		return Snapshot{}
	}
	s := Snapshot{Total: c.total.Load(), Done: c.done.Load(), Step: c.step.Load(), Steps: c.steps.Load()}
	s.Done = min(s.Done, s.Total)
	baseDone, baseTotal := c.stepDone.Load(), c.stepTotal.Load()
	s.StepTotal = max(s.Total-baseTotal, 0)
	s.StepDone = min(max(s.Done-baseDone, 0), s.StepTotal)
	return s
}
