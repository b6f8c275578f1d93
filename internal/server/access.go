package server

import "github.com/rolecall/rolecall/internal/service/iam"

// IAM returns the server's IAM, whose PolicyInput gives a principal's
// current policies (for replaying recorded decisions).
func (s *Server) IAM() *iam.IAM { return s.iam }
